// Numeric precision of stored weights and of the KV cache (docs/cost_model.md "Precision"): how many bytes one
// value takes, and which datasheet peak a card's matrix units reach at it.
#pragma once

#include <optional>
#include <string_view>

namespace thinkplan {

// bf16 and fp16 both take 2 bytes; fp8 and int8 one; int4 half a byte (two values per byte, group scales ignored:
// they add about 0.5% at a group size of 128 with bf16 scales).
enum class Precision { kBf16, kFp16, kFp8, kInt8, kInt4 };

std::string_view ToString(Precision precision);
// "bf16", "fp16", "fp8", "int8", "int4" (case-insensitive); nullopt otherwise.
std::optional<Precision> ParsePrecision(std::string_view text);
double BytesPerValue(Precision precision);
// A KV cache is kept in bf16, fp16 or fp8 (what serving engines offer); integer caches are not modelled.
bool IsKvPrecision(Precision precision);

// The spellings accepted, for messages and --help: "bf16|fp16|fp8|int8|int4".
inline constexpr std::string_view kWeightPrecisions = "bf16|fp16|fp8|int8|int4";
inline constexpr std::string_view kKvPrecisions = "bf16|fp16|fp8";

}  // namespace thinkplan
