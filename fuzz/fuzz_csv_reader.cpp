// The RFC 4180 reader alone. Properties: it either reads every record or refuses with an InputError; the records
// it reads do not depend on the chunk size; and writing them back fully quoted and reading that again gives the
// same fields (what the reader returns is exactly what the file meant).
#include <string>
#include <vector>

#include "fuzz/fuzz_common.h"
#include "core/csv_reader.h"

namespace {

using Records = std::vector<std::vector<std::string>>;

// Records read until the end or the first error; `failed` tells which.
Records ReadAll(const std::string& text, std::size_t chunk, bool* failed) {
  Records records;
  *failed = !thinkplan::fuzz::AcceptsOrRefuses([&] {
    auto reader = thinkplan::CsvReader::FromString(text, "fuzz.csv", {chunk});
    while (reader.Next()) {
      std::vector<std::string> fields;
      for (std::size_t i = 0; i < reader.size(); ++i) fields.emplace_back(reader.field(i));
      records.push_back(std::move(fields));
    }
  });
  return records;
}

std::string QuoteAll(const Records& records) {
  std::string out;
  for (const auto& record : records) {
    for (std::size_t i = 0; i < record.size(); ++i) {
      out += i ? ",\"" : "\"";
      for (char c : record[i]) {
        if (c == '"') out += '"';
        out += c;
      }
      out += '"';
    }
    out += "\r\n";
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  bool failed = false;
  const Records big = ReadAll(text, 4096, &failed);  // chunk sizes far apart
  bool failed_small = false;
  const Records small = ReadAll(text, 1 + size % 7, &failed_small);
  if (failed != failed_small || big != small) thinkplan::fuzz::Violation("records depend on the chunk size");
  if (failed) return 0;
  bool failed_again = false;
  const Records again = ReadAll(QuoteAll(big), 3, &failed_again);
  if (failed_again) thinkplan::fuzz::Violation("the reader refused its own records written back quoted");
  if (again != big) thinkplan::fuzz::Violation("records changed on a quoted round trip");
  return 0;
}
