// A small streaming RFC 4180 reader: quoted fields, doubled quotes, commas and line breaks inside quotes, CRLF or
// LF line ends, a leading UTF-8 byte order mark. It reads the input in large chunks and remembers the physical line
// on which each record starts, so that every error can point at the right line. docs/csv.md says why the project
// carries its own reader.
#pragma once

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace thinkplan {

struct CsvReaderOptions {
  // Bytes read from the input at a time. Default 1 MiB; tests use tiny chunks to cross every boundary.
  std::size_t chunk_bytes = std::size_t{1} << 20;
  // Longest record accepted, in bytes of field text. Default 64 MiB: a file without a closing quote or line end
  // is refused instead of being held in memory whole.
  std::size_t max_record_bytes = std::size_t{64} << 20;
};

class CsvReader {
 public:
  using Options = CsvReaderOptions;

  // Reads a file; `display_name` is what error messages call it. Throws InputError if it cannot be opened.
  CsvReader(const std::filesystem::path& path, std::string display_name, Options options = {});
  // Reads text held in memory (tests, small inline inputs).
  static CsvReader FromString(std::string text, std::string display_name, Options options = {});
  ~CsvReader();
  CsvReader(CsvReader&&) noexcept;
  CsvReader& operator=(CsvReader&&) noexcept;

  // Moves to the next record; false at the end of the input. Lines that are completely empty are skipped.
  // Throws InputError (naming the record's first line and the field) for an unterminated quote, a quote inside
  // an unquoted field or text after a closing quote; the reader cannot continue after such an error.
  bool Next();

  std::size_t size() const { return ends_.size(); }
  std::string_view field(std::size_t i) const {
    const std::size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(data_).substr(begin, ends_[i] - begin);
  }
  std::vector<std::string_view> fields() const;
  // 1-based physical line on which the current record starts.
  long line() const { return record_line_; }

  // Names used in error messages for the fields of later records (normally the header); "column N" otherwise.
  void set_field_names(std::vector<std::string> names) { names_ = std::move(names); }

 private:
  CsvReader(std::string display_name, Options options);
  bool Fill();  // reads more input after the unread bytes; false when nothing more came
  int Peek() { return pos_ < end_ || Fill() ? static_cast<unsigned char>(buffer_[pos_]) : -1; }
  void SkipByteOrderMark();
  void ReadUnquoted();
  void ReadQuoted();
  bool ConsumeLineEnd();  // true when a line end was consumed
  [[noreturn]] void Fail(const std::string& reason) const;
  void CheckLength() const;  // throws InputError once the record exceeds max_record_bytes

  std::string display_name_;
  Options options_;
  std::FILE* file_ = nullptr;
  std::string memory_;  // FromString input
  std::size_t memory_pos_ = 0;
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  bool exhausted_ = false;
  bool started_ = false;

  long line_ = 1;  // physical line of the next unread byte
  long record_line_ = 0;
  std::string data_;               // the current record's unescaped field bytes, back to back
  std::vector<std::size_t> ends_;  // end offset of each field in data_
  std::vector<std::string> names_;
};

}  // namespace thinkplan
