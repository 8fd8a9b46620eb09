#include "tests/common/test_support.h"

#include <sys/wait.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace thinkplan::testing {

ScratchDir::ScratchDir(const std::string& prefix) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          (prefix + "-" + std::to_string(rd()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path SourceDir() { return THINKPLAN_SOURCE_DIR; }
std::filesystem::path DataDir() { return SourceDir() / "data"; }
std::filesystem::path ThinkplanExe() { return THINKPLAN_EXE; }
std::filesystem::path SharedDataDir() {
  if (const char* env = std::getenv("THINKPLAN_SHARED_DATA_DIR"); env != nullptr && *env != '\0') return env;
  return THINKPLAN_SHARED_DATA_DIR;
}

std::string ShellQuote(const std::string& arg) {
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void WriteFile(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write " + path.string());
  out << content;
}

CommandResult RunThinkplan(const std::string& args) { return RunCommand(ShellQuote(ThinkplanExe().string()) + " " + args); }

CommandResult RunCommand(const std::string& shell_command) {
  ScratchDir capture("thinkplan-capture");
  const auto out_path = capture / "stdout";
  const auto err_path = capture / "stderr";
  const std::string command = shell_command + " >" + ShellQuote(out_path.string()) + " 2>" + ShellQuote(err_path.string()) + " </dev/null";
  const int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

ScopedEnv::ScopedEnv(const char* name, const std::string& value) : name_(name) {
  if (const char* old = std::getenv(name)) old_ = old;
  ::setenv(name, value.c_str(), 1);
}

ScopedEnv::~ScopedEnv() {
  if (old_) {
    ::setenv(name_, old_->c_str(), 1);
  } else {
    ::unsetenv(name_);
  }
}

}  // namespace thinkplan::testing

namespace thinkplan::testing {

std::string CatalogueDb(const std::filesystem::path& db) {
  const std::string flag = "--db " + ShellQuote(db.string());
  std::string files;
  for (const char* file : {"published/systems.csv", "published/hardware.csv", "published/prices.csv",
                           "apis/system_apis.csv", "models/models.csv", "models/accelerators.csv"}) {
    files += " " + ShellQuote((DataDir() / file).string());
  }
  const CommandResult r = RunThinkplan(flag + " --quiet ingest" + files);
  if (r.exit_code != 0) throw std::runtime_error("ingesting the shipped catalogues failed: " + r.err);
  return flag;
}

}  // namespace thinkplan::testing
