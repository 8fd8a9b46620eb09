// The subcommand table of the `thinkplan` executable and what every subcommand shares: global options
// (--db, --json, --quiet), option parsing with cxxopts and the mapping of errors to exit codes.
#pragma once

#include <cxxopts.hpp>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "core/number_parse.h"

namespace thinkplan::cli {

// Options every subcommand accepts, before or after its name.
struct GlobalOptions {
  std::filesystem::path db_path;  // --db, else $THINKPLAN_DB, else ./thinkplan.db
  bool json = false;              // --json: machine-readable output on stdout
  bool quiet = false;             // --quiet: no progress or chatter on stderr
};

// What a subcommand handler receives: its own arguments (without the subcommand name) and the streams.
struct Invocation {
  std::vector<std::string> args;
  std::ostream& out;
  std::ostream& err;
};

struct Command {
  std::string_view name;
  std::string_view summary;  // one line for `thinkplan --help`
  int (*run)(Invocation& invocation);
};

// Every subcommand, in the order `thinkplan --help` lists them.
const std::vector<Command>& Commands();

// Runs the executable's command line; returns the process exit code. Never throws.
int Main(int argc, char** argv, std::ostream& out, std::ostream& err);

// Adds --db, --json, --quiet and --help to a subcommand's options.
void AddGlobalOptions(cxxopts::Options& options);

// Parses `invocation.args` with `options` (which must have had AddGlobalOptions). Throws UsageError on bad
// options. Returns std::nullopt-like empty result via `help_shown` when --help was given (the help was printed).
struct Parsed {
  cxxopts::ParseResult result;
  GlobalOptions global;
  bool help_shown = false;
};
Parsed ParseCommandLine(cxxopts::Options& options, Invocation& invocation);

// Numeric options are declared as text (cxxopts::value<std::string>) and read here with core's one number parser
// (core/number_parse.h): cxxopts would read "2x" as 2 and "30,000" as 30. The option must be given or have a
// default; a bad value is a UsageError naming the option and the text.
double NumberArg(const cxxopts::ParseResult& args, const std::string& name, const NumberRule& rule);
std::int64_t IntegerArg(const cxxopts::ParseResult& args, const std::string& name, const NumberRule& rule);
std::uint64_t UnsignedArg(const cxxopts::ParseResult& args, const std::string& name, const NumberRule& rule);

// The closest command name by edit distance, or empty if none is close.
std::string SuggestCommand(std::string_view typed);

// The default data directory: $THINKPLAN_DATA_DIR; else <executable>/../share/thinkplan/data when that exists (an
// installed tree); else the data/ folder of the source tree this binary was built from.
std::filesystem::path DefaultDataDir();

}  // namespace thinkplan::cli
