#include "core/json_output.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace thinkplan {
namespace {

// nlohmann's output adapter interface (the one its dump writes through), buffered in front of an ostream.
class BufferedStream : public nlohmann::detail::output_adapter_protocol<char> {
 public:
  explicit BufferedStream(std::ostream& out) : out_(out) {}
  BufferedStream(const BufferedStream&) = delete;
  BufferedStream& operator=(const BufferedStream&) = delete;

  void write_character(char c) override {
    if (used_ == buffer_.size()) Flush();
    buffer_[used_++] = c;
  }
  void write_characters(const char* s, std::size_t length) override {
    if (length > buffer_.size() - used_) Flush();
    if (length >= buffer_.size()) {
      out_.write(s, static_cast<std::streamsize>(length));
      return;
    }
    std::copy(s, s + length, buffer_.data() + used_);
    used_ += length;
  }
  void Flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(used_));
    used_ = 0;
  }

 private:
  std::ostream& out_;
  std::array<char, 1 << 16> buffer_{};
  std::size_t used_ = 0;
};

}  // namespace

struct JsonWriter::Impl {
  Impl(std::ostream& out, int indent_step)
      : stream(std::make_shared<BufferedStream>(out)), serializer(stream, ' '), indent(indent_step) {}
  std::shared_ptr<BufferedStream> stream;
  nlohmann::detail::serializer<nlohmann::json> serializer;
  int indent;
};

JsonWriter::JsonWriter(std::ostream& out, int indent) : impl_(std::make_unique<Impl>(out, indent)) {}

JsonWriter::~JsonWriter() { impl_->stream->Flush(); }

void JsonWriter::Raw(std::string_view text) { impl_->stream->write_characters(text.data(), text.size()); }

void JsonWriter::Value(const nlohmann::json& value, int depth) {
  if (impl_->indent >= 0) {
    impl_->serializer.dump(value, true, false, static_cast<unsigned int>(impl_->indent),
                           static_cast<unsigned int>(depth * impl_->indent));
  } else {
    impl_->serializer.dump(value, false, false, 0);
  }
}

namespace {

// The position of the closing quote of the string whose opening quote is at `open`.
std::size_t ClosingQuote(std::string_view text, std::size_t open) {
  for (std::size_t i = open + 1; i < text.size(); ++i) {
    if (text[i] == '\\') ++i;
    else if (text[i] == '"') return i;
  }
  return text.size();
}

}  // namespace

void JsonWriter::Compact(std::string_view compact, int depth) {
  if (impl_->indent < 0) return Raw(compact);
  BufferedStream& out = *impl_->stream;
  const std::size_t step = static_cast<std::size_t>(impl_->indent);
  std::size_t level = static_cast<std::size_t>(depth);
  const auto line = [&] {
    static constexpr std::string_view kSpaces = "                                ";
    out.write_character('\n');
    for (std::size_t n = level * step; n > 0;) {
      const std::size_t k = std::min(n, kSpaces.size());
      out.write_characters(kSpaces.data(), k);
      n -= k;
    }
  };
  std::size_t copied = 0;  // compact[copied, i) is still to be written
  const auto copy_to = [&](std::size_t end) {
    out.write_characters(compact.data() + copied, end - copied);
    copied = end;
  };
  for (std::size_t i = 0; i < compact.size(); ++i) {
    const char c = compact[i];
    if (c == '"') {
      i = ClosingQuote(compact, i);
    } else if (c == '{' || c == '[') {
      if (i + 1 < compact.size() && compact[i + 1] == (c == '{' ? '}' : ']')) {
        ++i;  // empty: "{}", "[]" as dump writes them
        continue;
      }
      copy_to(i + 1);
      ++level;
      line();
    } else if (c == '}' || c == ']') {
      copy_to(i);
      --level;
      line();
    } else if (c == ',') {
      copy_to(i + 1);
      line();
    } else if (c == ':') {
      copy_to(i + 1);
      out.write_character(' ');
    }
  }
  copy_to(compact.size());
}

void JsonWriter::Flush() { impl_->stream->Flush(); }

void WriteJson(std::ostream& out, const nlohmann::json& value, int indent) {
  JsonWriter writer(out, indent);
  writer.Value(value, 0);
}

}  // namespace thinkplan
