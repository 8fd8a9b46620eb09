#include "core/csv_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/errors.h"

namespace thinkplan {

CsvReader::CsvReader(std::string display_name, Options options)
    : display_name_(std::move(display_name)), options_(options) {
  if (options_.chunk_bytes == 0) options_.chunk_bytes = 1;
  capacity_ = options_.chunk_bytes;
  buffer_ = std::make_unique<char[]>(capacity_);
}

CsvReader::CsvReader(const std::filesystem::path& path, std::string display_name, Options options)
    : CsvReader(std::move(display_name), options) {
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    throw InputError(SourceLocation{display_name_, 0, "", ""}, std::string("cannot open: ") + std::strerror(errno));
  }
}

CsvReader CsvReader::FromString(std::string text, std::string display_name, Options options) {
  CsvReader reader(std::move(display_name), options);
  reader.memory_ = std::move(text);
  return reader;
}

CsvReader::~CsvReader() {
  if (file_ != nullptr) std::fclose(file_);
}

CsvReader::CsvReader(CsvReader&& other) noexcept { *this = std::move(other); }

CsvReader& CsvReader::operator=(CsvReader&& other) noexcept {
  if (this != &other) {
    if (file_ != nullptr) std::fclose(file_);
    display_name_ = std::move(other.display_name_);
    options_ = other.options_;
    file_ = std::exchange(other.file_, nullptr);
    memory_ = std::move(other.memory_);
    memory_pos_ = other.memory_pos_;
    buffer_ = std::move(other.buffer_);
    capacity_ = other.capacity_;
    pos_ = other.pos_;
    end_ = other.end_;
    exhausted_ = other.exhausted_;
    started_ = other.started_;
    line_ = other.line_;
    record_line_ = other.record_line_;
    data_ = std::move(other.data_);
    ends_ = std::move(other.ends_);
    names_ = std::move(other.names_);
  }
  return *this;
}

bool CsvReader::Fill() {
  if (exhausted_) return false;
  // Keep the unread tail (at most a few bytes of look-ahead) at the front.
  const std::size_t unread = end_ - pos_;
  if (unread > 0 && pos_ > 0) std::memmove(buffer_.get(), buffer_.get() + pos_, unread);
  pos_ = 0;
  end_ = unread;
  if (end_ == capacity_) {
    capacity_ *= 2;
    auto bigger = std::make_unique<char[]>(capacity_);
    std::memcpy(bigger.get(), buffer_.get(), end_);
    buffer_ = std::move(bigger);
  }
  const std::size_t want = std::min(options_.chunk_bytes, capacity_ - end_);
  std::size_t got = 0;
  if (file_ != nullptr) {
    got = std::fread(buffer_.get() + end_, 1, want, file_);
    if (got < want && std::ferror(file_)) {
      throw InputError(SourceLocation{display_name_, line_, "", ""}, "read error");
    }
  } else {
    got = std::min(want, memory_.size() - memory_pos_);
    std::memcpy(buffer_.get() + end_, memory_.data() + memory_pos_, got);
    memory_pos_ += got;
  }
  if (got == 0) {
    exhausted_ = true;
    return false;
  }
  end_ += got;
  return true;
}

void CsvReader::SkipByteOrderMark() {
  while (end_ - pos_ < 3 && Fill()) {
  }
  if (end_ - pos_ >= 3 && std::memcmp(buffer_.get() + pos_, "\xEF\xBB\xBF", 3) == 0) pos_ += 3;
}

std::vector<std::string_view> CsvReader::fields() const {
  std::vector<std::string_view> out;
  out.reserve(size());
  for (std::size_t i = 0; i < size(); ++i) out.push_back(field(i));
  return out;
}

void CsvReader::Fail(const std::string& reason) const {
  const std::size_t index = ends_.size();  // the field being read
  std::string name = index < names_.size() ? names_[index] : "column " + std::to_string(index + 1);
  const std::size_t begin = index == 0 ? 0 : ends_[index - 1];
  throw InputError(SourceLocation{display_name_, record_line_, std::move(name), data_.substr(begin)}, reason);
}

void CsvReader::CheckLength() const {
  if (data_.size() <= options_.max_record_bytes) return;
  const std::size_t index = ends_.size();
  std::string name = index < names_.size() ? names_[index] : "column " + std::to_string(index + 1);
  const std::size_t begin = index == 0 ? 0 : ends_[index - 1];
  throw InputError(SourceLocation{display_name_, record_line_, std::move(name), data_.substr(begin, 40) + "..."},
                   "record longer than " + std::to_string(options_.max_record_bytes) +
                       " bytes (max_record_bytes); is a closing quote missing?");
}

bool CsvReader::ConsumeLineEnd() {
  const int c = Peek();
  if (c == '\n') {
    ++pos_;
  } else if (c == '\r') {
    ++pos_;
    if (Peek() == '\n') ++pos_;  // CRLF; a lone CR (old Mac files) also ends the line
  } else {
    return false;
  }
  ++line_;
  return true;
}

void CsvReader::ReadUnquoted() {
  for (;;) {
    const char* base = buffer_.get();
    std::size_t stop = pos_;
    while (stop < end_) {
      const char c = base[stop];
      if (c == ',' || c == '\n' || c == '\r' || c == '"') break;
      ++stop;
    }
    data_.append(base + pos_, stop - pos_);
    pos_ = stop;
    CheckLength();
    if (pos_ < end_) break;
    if (!Fill()) return;
  }
  if (buffer_[pos_] == '"') {
    Fail("a quote inside an unquoted field (quote the whole field and double the quotes inside it)");
  }
}

void CsvReader::ReadQuoted() {
  ++pos_;  // the opening quote
  const long opened = line_;
  for (;;) {
    const char* base = buffer_.get();
    std::size_t stop = pos_;
    while (stop < end_ && base[stop] != '"' && base[stop] != '\n') ++stop;
    data_.append(base + pos_, stop - pos_);
    pos_ = stop;
    CheckLength();
    if (pos_ == end_) {
      if (!Fill()) {
        Fail("unterminated quoted field: the file ends inside the quotes opened on line " +
             std::to_string(opened));
      }
      continue;
    }
    if (base[pos_] == '\n') {
      data_.push_back('\n');
      ++pos_;
      ++line_;
      continue;
    }
    ++pos_;  // a quote: either the first of a doubled pair or the closing one
    if (Peek() == '"') {
      data_.push_back('"');
      ++pos_;
      continue;
    }
    break;
  }
  const int next = Peek();
  if (next != ',' && next != '\n' && next != '\r' && next != -1) {
    Fail("unexpected text after a closing quote");
  }
}

bool CsvReader::Next() {
  if (!started_) {
    started_ = true;
    SkipByteOrderMark();
  }
  data_.clear();
  ends_.clear();
  while (ConsumeLineEnd()) {
  }
  if (Peek() == -1) return false;
  record_line_ = line_;
  for (;;) {
    if (Peek() == '"') {
      ReadQuoted();
    } else {
      ReadUnquoted();
    }
    ends_.push_back(data_.size());
    const int c = Peek();
    if (c == ',') {
      ++pos_;
      continue;
    }
    ConsumeLineEnd();  // or the end of the input
    return true;
  }
}

}  // namespace thinkplan
