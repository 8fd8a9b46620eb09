// Every subcommand's --help, as a user first meets it: exits 0, prints to stdout only, teaches (a description,
// the options with --db and --json, at least one example) and touches no database. The list of commands comes
// from the command table itself, so a new command is covered the day it is added.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>

#include "cli/command.h"
#include "tests/common/test_support.h"

using namespace thinkplan::testing;

BOOST_AUTO_TEST_SUITE(cli_help)

BOOST_AUTO_TEST_CASE(the_top_level_help_lists_every_command_of_the_table) {
  const CommandResult r = RunThinkplan("--help");
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.err.empty());
  BOOST_TEST(thinkplan::cli::Commands().size() >= 13u);
  for (const thinkplan::cli::Command& command : thinkplan::cli::Commands()) {
    const std::string name(command.name);
    BOOST_TEST(r.out.find("\n  " + name + " ") != std::string::npos, name);
  }
}

BOOST_AUTO_TEST_CASE(every_command_explains_itself_with_help_and_exits_zero) {
  ScratchDir dir;
  const std::filesystem::path db = dir / "never-created.db";
  for (const thinkplan::cli::Command& command : thinkplan::cli::Commands()) {
    const std::string name(command.name);
    BOOST_TEST_CONTEXT("thinkplan " << name << " --help") {
      const CommandResult r = RunThinkplan("--db " + ShellQuote(db.string()) + " " + name + " --help");
      BOOST_TEST(r.exit_code == 0, r.err);
      BOOST_TEST(r.err.empty(), r.err);
      BOOST_TEST(r.out.find("thinkplan " + name) != std::string::npos);
      BOOST_TEST(r.out.find("--db") != std::string::npos);
      BOOST_TEST(r.out.find("--json") != std::string::npos);
      BOOST_TEST(r.out.find("Example") != std::string::npos, "no example in:\n" << r.out);
      BOOST_TEST(r.out.size() > 300u, "too short to teach:\n" << r.out);
      const CommandResult short_flag = RunThinkplan(name + " -h");
      BOOST_TEST(short_flag.exit_code == 0);
      BOOST_TEST(short_flag.out == r.out);
    }
  }
  BOOST_TEST(!std::filesystem::exists(db), "--help opened the database");
}

BOOST_AUTO_TEST_SUITE_END()
