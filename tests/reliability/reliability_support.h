// Helpers for the reliability suite: generated input files, child processes of the real executable that can be
// killed at a chosen moment, and direct reads of a database file that trust nothing but SQLite.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace thinkplan::testing {

// An integer from the environment (a longer local run), or `fallback`.
long EnvCount(const char* name, long fallback);

// Writes a valid runs CSV of `rows` rows whose run_keys all start with `prefix` (one system and class per file,
// named after the prefix, so a file's rows are easy to count).
void WriteRunsCsv(const std::filesystem::path& path, const std::string& prefix, long rows);

// A `thinkplan` child with its output captured in files; kill it or wait for it.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args, const std::filesystem::path& log_prefix);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  void Kill();             // SIGKILL, then reaps it
  int Wait();              // exit code, or 128 + signal
  bool Exited();           // non-blocking: true once it has finished (Wait() then returns at once)
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::filesystem::path out_, err_;
};

// Kills a child at a random moment of a run that takes about `full` seconds uninterrupted: even attempts after a
// delay drawn from [0, anywhere x full], odd ones from [near_from, near_to] x full, close to the end where the
// write happens (a write of a millisecond would seldom be hit by uniform delays alone).
class RandomKiller {
 public:
  RandomKiller(double full, double anywhere, double near_from, double near_to, uint64_t seed);
  struct Outcome {
    int exit_code = 0;
    bool finished_before_kill = false;
    double delay = 0;
  };
  Outcome Kill(Child& child, long attempt);

 private:
  double full_, anywhere_, near_from_, near_to_;
  std::mt19937_64 random_;
};

// What the kills left, for the test's closing message.
struct KillTally {
  int absent = 0, whole = 0, finished = 0;
  void Add(bool finished_before_kill, bool stored) { (finished_before_kill ? finished : stored ? whole : absent) += 1; }
  // "21 left nothing, 9 killed after the commit with the <what> whole, 20 had finished"
  std::string Describe(const std::string& what) const;
};

// Straight SQLite reads, independent of the store's own code.
std::string IntegrityCheck(const std::filesystem::path& db);                    // "ok" when sound
long long CountWhere(const std::filesystem::path& db, const std::string& sql, const std::string& bound);
long long Count(const std::filesystem::path& db, const std::string& sql);

// Whether `text` is one whole JSON object (a stored body cut short is not).
bool ParsesAsJsonObject(const std::string& text);

}  // namespace thinkplan::testing
