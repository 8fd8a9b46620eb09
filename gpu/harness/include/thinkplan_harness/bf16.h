// bfloat16 on the host, without CUDA headers: the GPU path rounds its random inputs through these so that the
// float64 reference sees exactly the values the device sees.
#pragma once

#include <cstdint>

namespace thinkplan::harness {

// Round to nearest even; NaN stays a (quiet) NaN.
std::uint16_t FloatToBf16(float value);
float Bf16ToFloat(std::uint16_t bits);
inline float RoundToBf16(float value) { return Bf16ToFloat(FloatToBf16(value)); }

// The bit pattern written into output buffers before a checked run, so that an element the kernel never wrote
// shows up as NaN.
constexpr std::uint16_t kBf16PoisonBits = 0x7FC1;

}  // namespace thinkplan::harness
