#include "core/precision.h"

#include "core/text.h"

namespace thinkplan {

std::string_view ToString(Precision precision) {
  switch (precision) {
    case Precision::kBf16: return "bf16";
    case Precision::kFp16: return "fp16";
    case Precision::kFp8: return "fp8";
    case Precision::kInt8: return "int8";
    case Precision::kInt4: return "int4";
  }
  return "bf16";
}

std::optional<Precision> ParsePrecision(std::string_view text) {
  const std::string lower = Lower(text);
  for (Precision p : {Precision::kBf16, Precision::kFp16, Precision::kFp8, Precision::kInt8, Precision::kInt4}) {
    if (lower == ToString(p)) return p;
  }
  return std::nullopt;
}

double BytesPerValue(Precision precision) {
  switch (precision) {
    case Precision::kBf16:
    case Precision::kFp16: return 2.0;
    case Precision::kFp8:
    case Precision::kInt8: return 1.0;
    case Precision::kInt4: return 0.5;
  }
  return 2.0;
}

bool IsKvPrecision(Precision precision) {
  return precision == Precision::kBf16 || precision == Precision::kFp16 || precision == Precision::kFp8;
}

}  // namespace thinkplan
