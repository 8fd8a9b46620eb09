// Typed errors shared by every stage. The CLI maps each kind to an exit code (docs/design.md section 4):
// 0 ok, 1 usage, 2 input, 3 internal.
#pragma once

#include <stdexcept>
#include <string>

namespace thinkplan {

enum class ExitCode : int { kOk = 0, kUsage = 1, kInput = 2, kInternal = 3 };

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// Wrong command-line use: unknown option, missing argument, malformed --set expression.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(ExitCode::kUsage, message) {}
};

// Where in an input a problem sits. Any part may be empty or zero when unknown.
struct SourceLocation {
  std::string file;
  long line = 0;  // 1-based physical line where the record starts; 0 when not line-oriented
  std::string field;
  std::string value;

  // "file:line: field 'name' = 'value'" with the parts that are known.
  std::string Describe() const;
};

// Bad input data: a malformed file, a value out of range, a conflict with what is stored.
class InputError : public Error {
 public:
  InputError(SourceLocation where, const std::string& reason);
  explicit InputError(const std::string& message) : Error(ExitCode::kInput, message) {}
  const SourceLocation& where() const { return where_; }
  const std::string& reason() const { return reason_; }

 private:
  SourceLocation where_;
  std::string reason_;
};

// A broken invariant or a failure of the environment (disk, database) that the user did not cause.
class InternalError : public Error {
 public:
  explicit InternalError(const std::string& message) : Error(ExitCode::kInternal, message) {}
};

}  // namespace thinkplan
