#include "tests/reliability/reliability_support.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <stdexcept>

#include "tests/common/test_support.h"

namespace thinkplan::testing {

long EnvCount(const char* name, long fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && *text != '\0' ? std::strtol(text, nullptr, 10) : fallback;
}

void WriteRunsCsv(const std::filesystem::path& path, const std::string& prefix, long rows) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) throw std::runtime_error("cannot write " + path.string());
  std::fputs("run_key,source,system,task_class,mode,budget_tokens,samples,aggregation,n_problems,n_correct,"
             "mean_output_tokens\n", file);
  for (long i = 0; i < rows; ++i) {
    std::fprintf(file, "%s:%ld,measured,%s-sys,%s-class,extended,%ld,4,cons@4,100,%ld,%ld.5\n", prefix.c_str(), i,
                 prefix.c_str(), prefix.c_str(), 1000 + i % 7 * 1000, i % 101, 500 + i % 997);
  }
  std::fclose(file);
}

Child::Child(const std::vector<std::string>& args, const std::filesystem::path& log_prefix)
    : out_(log_prefix.string() + ".out"), err_(log_prefix.string() + ".err") {
  const std::string exe = ThinkplanExe().string();
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    const int out = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
}

Child::~Child() {
  if (!reaped_) Kill();
}

void Child::Kill() {
  if (reaped_) return;
  ::kill(pid_, SIGKILL);
  Wait();
}

int Child::Wait() {
  if (!reaped_) {
    while (::waitpid(pid_, &status_, 0) < 0) {
    }
    reaped_ = true;
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
}

bool Child::Exited() {
  if (reaped_) return true;
  const pid_t done = ::waitpid(pid_, &status_, WNOHANG);
  if (done == pid_) reaped_ = true;
  return reaped_;
}

std::string Child::Stdout() const { return ReadFile(out_); }
std::string Child::Stderr() const { return ReadFile(err_); }

std::string IntegrityCheck(const std::filesystem::path& db) {
  SQLite::Database sql(db.string(), SQLite::OPEN_READWRITE, 10'000);
  SQLite::Statement q(sql, "PRAGMA integrity_check");
  std::string out;
  while (q.executeStep()) out += (out.empty() ? "" : "\n") + q.getColumn(0).getString();
  return out;
}

long long CountWhere(const std::filesystem::path& db, const std::string& sql, const std::string& bound) {
  SQLite::Database connection(db.string(), SQLite::OPEN_READWRITE, 10'000);
  SQLite::Statement q(connection, sql);
  q.bind(1, bound);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

long long Count(const std::filesystem::path& db, const std::string& sql) {
  SQLite::Database connection(db.string(), SQLite::OPEN_READWRITE, 10'000);
  SQLite::Statement q(connection, sql);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

RandomKiller::RandomKiller(double full, double anywhere, double near_from, double near_to, uint64_t seed)
    : full_(full), anywhere_(anywhere), near_from_(near_from), near_to_(near_to), random_(seed) {}

RandomKiller::Outcome RandomKiller::Kill(Child& child, long attempt) {
  std::uniform_real_distribution<double> anywhere(0.0, anywhere_ * full_), near_end(near_from_ * full_, near_to_ * full_);
  Outcome out;
  out.delay = attempt % 2 == 0 ? anywhere(random_) : near_end(random_);
  std::this_thread::sleep_for(std::chrono::duration<double>(out.delay));
  out.finished_before_kill = child.Exited();
  child.Kill();
  out.exit_code = child.Wait();
  return out;
}

std::string KillTally::Describe(const std::string& what) const {
  return std::to_string(absent) + " left nothing, " + std::to_string(whole) + " killed after the commit with the " +
         what + " whole, " + std::to_string(finished) + " had finished";
}

bool ParsesAsJsonObject(const std::string& text) {
  const auto value = nlohmann::json::parse(text, nullptr, false);
  return !value.is_discarded() && value.is_object();
}

}  // namespace thinkplan::testing
