// Helpers shared by the test suites: scratch directories, paths to the source tree and the built executable,
// running the CLI as a user would.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace thinkplan::testing {

// A fresh directory under the system temp dir, removed when the object goes out of scope.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix = "thinkplan-test");
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

std::filesystem::path SourceDir();      // the repository root
std::filesystem::path DataDir();        // <repo>/data
std::filesystem::path ThinkplanExe();   // the built `thinkplan` executable
// The read-only shared data beside the repository: $THINKPLAN_SHARED_DATA_DIR, else <repo>/../shared/data.
std::filesystem::path SharedDataDir();

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `thinkplan <args>` (args already shell-quoted where needed) and captures both streams.
CommandResult RunThinkplan(const std::string& args);
// Runs a shell command line (quoted as needed) and captures both streams.
CommandResult RunCommand(const std::string& shell_command);

// A fresh database at `db` holding the shipped catalogues only (systems, hardware, dated prices, API rows, model
// shapes: the first lines of data/demo_manifest.txt); returns "--db <db>" for RunThinkplan. Commands that price
// or size a query (cost, plan, simulate) read these from the database.
std::string CatalogueDb(const std::filesystem::path& db);

// Sets an environment variable for the commands a test runs (they inherit it), restoring the old value after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Shell-quotes one argument with single quotes.
std::string ShellQuote(const std::string& arg);

std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, const std::string& content);

}  // namespace thinkplan::testing
