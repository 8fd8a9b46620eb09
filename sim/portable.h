// Building blocks for code that must give bit-identical results on the CPU and in CUDA kernels:
// a host/device qualifier, the Philox4x32-10 counter-based generator, and log/exp written with basic
// arithmetic only (libm and CUDA's math library round differently, +,-,*,/ and sqrt do not).
// Plain C++: no CUDA header is included here; nvcc sees the same code through THINKPLAN_HD.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define THINKPLAN_HD __host__ __device__ __forceinline__
#else
#define THINKPLAN_HD inline
#endif

namespace thinkplan::portable {

struct Philox4x32 {
  uint32_t v[4];
};

// Philox4x32 with 10 rounds (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3"): the stream of
// Random123's philox4x32, which a test checks word for word.
THINKPLAN_HD Philox4x32 Philox4x32_10(Philox4x32 counter, uint32_t key0, uint32_t key1) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  uint32_t* x = counter.v;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key0 += kWeyl0;
      key1 += kWeyl1;
    }
    const uint64_t p0 = static_cast<uint64_t>(kMul0) * x[0];
    const uint64_t p1 = static_cast<uint64_t>(kMul1) * x[2];
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    const uint32_t y0 = hi1 ^ x[1] ^ key0;
    const uint32_t y2 = hi0 ^ x[3] ^ key1;
    x[0] = y0;
    x[1] = lo1;
    x[2] = y2;
    x[3] = lo0;
  }
  return counter;
}

// Eight consecutive Philox4x32-10 blocks, counters (c0, c1, first + i, c3) for i = 0..7, in
// structure-of-arrays form: out[w][i] is word w of block i. The same numbers as eight Philox4x32_10 calls;
// written so that a compiler can run the eight blocks in vector lanes.
THINKPLAN_HD void Philox4x32_10x8(uint32_t c0, uint32_t c1, uint32_t first, uint32_t c3, uint32_t key0,
                                  uint32_t key1, uint32_t out[4][8]) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  uint32_t x0[8], x1[8], x2[8], x3[8];
  for (int i = 0; i < 8; ++i) {
    x0[i] = c0;
    x1[i] = c1;
    x2[i] = first + static_cast<uint32_t>(i);
    x3[i] = c3;
  }
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key0 += kWeyl0;
      key1 += kWeyl1;
    }
    for (int i = 0; i < 8; ++i) {
      const uint64_t p0 = static_cast<uint64_t>(kMul0) * x0[i];
      const uint64_t p1 = static_cast<uint64_t>(kMul1) * x2[i];
      const uint32_t y0 = static_cast<uint32_t>(p1 >> 32) ^ x1[i] ^ key0;
      const uint32_t y2 = static_cast<uint32_t>(p0 >> 32) ^ x3[i] ^ key1;
      x1[i] = static_cast<uint32_t>(p1);
      x3[i] = static_cast<uint32_t>(p0);
      x0[i] = y0;
      x2[i] = y2;
    }
  }
  for (int i = 0; i < 8; ++i) {
    out[0][i] = x0[i];
    out[1][i] = x1[i];
    out[2][i] = x2[i];
    out[3][i] = x3[i];
  }
}

// The number of 32-bit words w with UniformOpen(w) < p, for 0 <= p <= 1: comparing w against it decides a
// Bernoulli(p) draw exactly as comparing UniformOpen(w) with p would, without converting each word.
THINKPLAN_HD uint64_t BernoulliThreshold(double p) {
  // UniformOpen(w) < p  <=>  w + 0.5 < p 2^32  <=>  w < ceil(p 2^32 - 0.5); every step is exact in double.
  const double t = ceil(p * 4294967296.0 - 0.5);
  return t <= 0 ? 0 : static_cast<uint64_t>(t);
}

// A uniform in the open interval (0, 1) from one 32-bit word, exactly representable.
THINKPLAN_HD double UniformOpen(uint32_t word) { return (static_cast<double>(word) + 0.5) * (1.0 / 4294967296.0); }

// Natural logarithm for finite x > 0, about 1 ulp, from a mantissa/exponent split and the atanh series.
THINKPLAN_HD double Log(double x) {
  int exponent = 0;
  double m = frexp(x, &exponent);  // x = m 2^e, m in [0.5, 1): exact on host and device
  if (m < 0.70710678118654752440) {
    m *= 2.0;
    exponent -= 1;
  }
  const double s = (m - 1.0) / (m + 1.0);  // |s| <= 0.1716
  const double s2 = s * s;
  // 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...); 12 terms reach double precision for |s| <= 0.1716.
  double series = 1.0 / 25.0;
  for (int k = 11; k >= 0; --k) series = series * s2 + 1.0 / (2 * k + 1);
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2 split so that e * kLn2Hi is exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const double e = static_cast<double>(exponent);
  return e * kLn2Hi + (2.0 * s * series + e * kLn2Lo);
}

// e^x for finite x; underflows to 0 below about -745 and overflows to +inf above about 709.8.
THINKPLAN_HD double Exp(double x) {
  if (x < -745.2) return 0.0;
  if (x > 709.8) return HUGE_VAL;
  constexpr double kInvLn2 = 1.44269504088896338700;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const double k = floor(x * kInvLn2 + 0.5);
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;  // |r| <= 0.35
  // Taylor series to degree 16: the remainder is below 1e-17 for |r| <= 0.35.
  double sum = 1.0;
  for (int n = 16; n >= 1; --n) sum = 1.0 + sum * r / n;
  return ldexp(sum, static_cast<int>(k));
}

}  // namespace thinkplan::portable
