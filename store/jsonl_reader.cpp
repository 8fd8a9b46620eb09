#include "store/jsonl_reader.h"

#include <cerrno>
#include <cstring>

#include "core/errors.h"

namespace thinkplan::store {

LineReader::LineReader(const std::filesystem::path& path, std::string display_name, std::size_t chunk_bytes,
                       std::size_t max_line_bytes)
    : display_name_(std::move(display_name)),
      chunk_bytes_(chunk_bytes == 0 ? 1 : chunk_bytes),
      max_line_bytes_(max_line_bytes) {
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) {
    throw InputError(SourceLocation{display_name_, 0, "", ""}, std::string("cannot open: ") + std::strerror(errno));
  }
}

LineReader::~LineReader() {
  if (file_ != nullptr) std::fclose(file_);
}

bool LineReader::Fill() {
  if (exhausted_) return false;
  buffer_.erase(0, pos_);  // drop what was handed out already
  pos_ = 0;
  const std::size_t old_size = buffer_.size();
  buffer_.resize(old_size + chunk_bytes_);
  const std::size_t got = std::fread(buffer_.data() + old_size, 1, chunk_bytes_, file_);
  if (got < chunk_bytes_ && std::ferror(file_)) {
    throw InputError(SourceLocation{display_name_, line_number_, "", ""}, "read error");
  }
  buffer_.resize(old_size + got);
  if (got == 0) exhausted_ = true;
  return got > 0;
}

void LineReader::SkipLongLine() {
  const std::string start = buffer_.substr(pos_, 40) + "...";
  std::size_t newline = std::string::npos;
  for (;;) {  // drop what is buffered, chunk by chunk, up to the line end
    buffer_.clear();
    pos_ = 0;
    if (!Fill() || (newline = buffer_.find('\n')) != std::string::npos) break;
  }
  pos_ = newline == std::string::npos ? buffer_.size() : newline + 1;
  ++line_number_;
  throw InputError(SourceLocation{display_name_, line_number_, "record", start},
                   "line longer than " + std::to_string(max_line_bytes_) + " bytes (max_record_bytes)");
}

bool LineReader::Next(std::string_view* line) {
  if (!started_) {
    started_ = true;
    while (buffer_.size() < 3 && Fill()) {
    }
    if (buffer_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = 3;
  }
  std::size_t newline;
  while ((newline = buffer_.find('\n', pos_)) == std::string::npos) {
    if (buffer_.size() - pos_ > max_line_bytes_) SkipLongLine();
    if (!Fill()) break;
  }
  if (pos_ >= buffer_.size()) return false;
  const std::size_t end = newline == std::string::npos ? buffer_.size() : newline;
  std::size_t stop = end;
  if (stop > pos_ && buffer_[stop - 1] == '\r') --stop;
  *line = std::string_view(buffer_).substr(pos_, stop - pos_);
  pos_ = newline == std::string::npos ? buffer_.size() : newline + 1;
  ++line_number_;
  return true;
}

JsonlReader::JsonlReader(const std::filesystem::path& path, std::string display_name, std::size_t max_line_bytes)
    : display_name_(display_name), lines_(path, std::move(display_name), 1 << 20, max_line_bytes) {}

bool JsonlReader::Next() {
  text_ = {};  // a line skipped for its length leaves no text behind (the rejects file gets an empty record)
  for (;;) {
    if (!lines_.Next(&text_)) return false;
    if (text_.find_first_not_of(" \t\r") != std::string_view::npos) break;
  }
  object_ = nlohmann::json::parse(text_.begin(), text_.end(), nullptr, /*allow_exceptions=*/false);
  if (object_.is_discarded()) {
    // Re-parse with exceptions only for the message (it names the byte where parsing failed).
    std::string why = "not valid JSON";
    try {
      const auto ignored = nlohmann::json::parse(text_.begin(), text_.end());
      (void)ignored;
    } catch (const nlohmann::json::parse_error& error) {
      why += " (" + std::string(error.what()) + ")";
    }
    throw InputError(SourceLocation{display_name_, line(), "record", std::string(text_)}, why);
  }
  if (!object_.is_object()) {
    throw InputError(SourceLocation{display_name_, line(), "record", std::string(text_)},
                     "expected one JSON object per line");
  }
  return true;
}

}  // namespace thinkplan::store
