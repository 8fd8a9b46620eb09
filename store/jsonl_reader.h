// JSON Lines input: one JSON object per line, blank lines skipped, read in large chunks. Each record keeps its
// physical line number and its text, for error messages and the rejects file.
#pragma once

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace thinkplan::store {

// Splits a byte stream into lines (LF or CRLF; the line end is not part of the line), skipping a leading UTF-8
// byte order mark.
class LineReader {
 public:
  // Lines longer than `max_line_bytes` are skipped whole (never held in memory) and reported with an InputError,
  // after which reading continues with the next line.
  LineReader(const std::filesystem::path& path, std::string display_name, std::size_t chunk_bytes = 1 << 20,
             std::size_t max_line_bytes = std::size_t{64} << 20);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line, valid until the following call; false at the end of the input.
  bool Next(std::string_view* line);
  long line_number() const { return line_number_; }

 private:
  bool Fill();
  [[noreturn]] void SkipLongLine();
  std::string display_name_;
  std::size_t chunk_bytes_;
  std::size_t max_line_bytes_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  std::size_t pos_ = 0;
  bool exhausted_ = false;
  bool started_ = false;
  long line_number_ = 0;
};

class JsonlReader {
 public:
  JsonlReader(const std::filesystem::path& path, std::string display_name,
              std::size_t max_line_bytes = std::size_t{64} << 20);

  // Moves to the next non-blank line and parses it; false at the end of the input. A line that is not valid JSON
  // or not an object throws InputError; the reader can continue with the next line afterwards.
  bool Next();
  const nlohmann::json& object() const { return object_; }
  std::string_view text() const { return text_; }
  long line() const { return lines_.line_number(); }
  const std::string& display_name() const { return display_name_; }

 private:
  std::string display_name_;
  LineReader lines_;
  std::string_view text_;
  nlohmann::json object_;
};

}  // namespace thinkplan::store
