#include "cli/command.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <iostream>

#include "core/errors.h"
#include "core/model_shape.h"

namespace thinkplan::cli {
namespace {

std::filesystem::path DefaultDbPath() {
  if (const char* env = std::getenv("THINKPLAN_DB"); env != nullptr && *env != '\0') return env;
  return "thinkplan.db";
}

void PrintTopLevelHelp(std::ostream& out) {
  out << "thinkplan " << THINKPLAN_VERSION
      << " - plan test-time (\"thinking\") compute: fit scaling curves from measured runs,\n"
         "choose fast or extended thinking per task class, size the fleet, answer what-ifs.\n\n"
         "Usage: thinkplan [--db PATH] [--json] [--quiet] COMMAND [ARGS...]\n\n"
         "Commands:\n";
  for (const Command& command : Commands()) {
    out << "  " << command.name << std::string(16 - std::min<size_t>(15, command.name.size()), ' ')
        << command.summary << "\n";
  }
  out << "\nGlobal options (accepted before or after COMMAND):\n"
         "  --db PATH       SQLite database (default: $THINKPLAN_DB, else ./thinkplan.db)\n"
         "  --json          machine-readable JSON on stdout\n"
         "  -q, --quiet     no progress or informational messages on stderr\n"
         "  -h, --help      help; `thinkplan COMMAND --help` explains one command\n"
         "  --version       print the version\n\n"
      << kNumberHelp
      << "\nStart with `thinkplan demo`: it ingests the shipped data into a fresh database and shows every stage.\n"
         "Exit codes: 0 ok, 1 usage error, 2 input error, 3 internal error.\n\n"
         "Environment: THINKPLAN_DB (the database), THINKPLAN_DATA_DIR (the shipped data; default\n"
         "<prefix>/share/thinkplan/data when installed), THINKPLAN_CUDA_PLUGIN (libthinkplan_cuda.so for `measure`).\n";
}

bool IsGlobalFlag(std::string_view arg) { return arg == "--json" || arg == "--quiet" || arg == "-q"; }

}  // namespace

std::filesystem::path DefaultDataDir() {
  if (const char* env = std::getenv("THINKPLAN_DATA_DIR"); env != nullptr && *env != '\0') return env;
  // An installed tree (cmake --install, the .deb): <prefix>/bin/thinkplan beside <prefix>/share/thinkplan/data.
  // Relative to the executable, so the tree can be moved; it is found before the source tree so an installed
  // binary never reads a checkout that happens to remain on the machine.
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path installed = exe.parent_path().parent_path() / "share" / "thinkplan" / "data";
    if (std::filesystem::is_directory(installed, ec)) return installed;
  }
  return THINKPLAN_SOURCE_DATA_DIR;  // a build tree: the checkout's data/
}

void AddGlobalOptions(cxxopts::Options& options) {
  options.add_options("Global")
      ("db", "SQLite database file (default: $THINKPLAN_DB, else ./thinkplan.db)", cxxopts::value<std::string>())
      ("json", "machine-readable JSON output on stdout")
      ("q,quiet", "no progress or informational messages on stderr")
      ("h,help", "show this help");
}

Parsed ParseCommandLine(cxxopts::Options& options, Invocation& invocation) {
  std::vector<const char*> argv;
  argv.push_back("thinkplan");
  for (const std::string& arg : invocation.args) argv.push_back(arg.c_str());
  Parsed parsed;
  try {
    parsed.result = options.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const cxxopts::exceptions::exception& e) {
    throw UsageError(std::string(e.what()) + " (see --help)");
  }
  if (parsed.result.count("help")) {
    invocation.out << options.help();
    parsed.help_shown = true;
  }
  parsed.global.db_path = parsed.result.count("db") ? std::filesystem::path(parsed.result["db"].as<std::string>())
                                                    : DefaultDbPath();
  parsed.global.json = parsed.result.count("json") > 0;
  parsed.global.quiet = parsed.result.count("quiet") > 0;
  return parsed;
}

double NumberArg(const cxxopts::ParseResult& args, const std::string& name, const NumberRule& rule) {
  return ParseNumberOption("--" + name, args[name].as<std::string>(), rule);
}

std::int64_t IntegerArg(const cxxopts::ParseResult& args, const std::string& name, const NumberRule& rule) {
  return ParseIntegerOption("--" + name, args[name].as<std::string>(), rule);
}

std::uint64_t UnsignedArg(const cxxopts::ParseResult& args, const std::string& name, const NumberRule& rule) {
  return ParseUnsignedOption("--" + name, args[name].as<std::string>(), rule);
}

std::string SuggestCommand(std::string_view typed) {
  std::vector<std::string> names;
  for (const Command& command : Commands()) names.emplace_back(command.name);
  const std::vector<std::string> closest = ClosestNames(typed, names, 1);
  return closest.empty() ? std::string() : closest.front();
}

int Main(int argc, char** argv, std::ostream& out, std::ostream& err) {
  // Global options may come before the command name; they are handed on to the command's own parser.
  std::vector<std::string> leading;
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--db" && i + 1 < argc) {
      leading.emplace_back(argv[i]);
      leading.emplace_back(argv[++i]);
    } else if (arg.starts_with("--db=") || IsGlobalFlag(arg)) {
      leading.emplace_back(arg);
    } else {
      break;
    }
  }
  if (i >= argc) {
    PrintTopLevelHelp(err);
    return static_cast<int>(ExitCode::kUsage);
  }
  const std::string_view name = argv[i];
  if (name == "-h" || name == "--help" || name == "help") {
    PrintTopLevelHelp(out);
    return 0;
  }
  if (name == "--version" || name == "version") {
    out << "thinkplan " << THINKPLAN_VERSION << "\n";
    return 0;
  }
  for (const Command& command : Commands()) {
    if (command.name != name) continue;
    Invocation invocation{leading, out, err};
    for (int j = i + 1; j < argc; ++j) invocation.args.emplace_back(argv[j]);
    try {
      return command.run(invocation);
    } catch (const Error& e) {
      err << "thinkplan " << name << ": " << e.what() << "\n";
      return static_cast<int>(e.code());
    } catch (const std::exception& e) {
      err << "thinkplan " << name << ": internal error: " << e.what() << "\n";
      return static_cast<int>(ExitCode::kInternal);
    }
  }
  err << "thinkplan: unknown command '" << name << "'";
  if (const std::string suggestion = SuggestCommand(name); !suggestion.empty()) {
    err << "; did you mean '" << suggestion << "'?";
  }
  err << " (see thinkplan --help)\n";
  return static_cast<int>(ExitCode::kUsage);
}

}  // namespace thinkplan::cli
