#include "sim/latency_sketch.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "sim/wire.h"

namespace thinkplan::sim {
namespace {

constexpr int kSub = 1 << LatencySketch::kSubBits;
constexpr std::size_t kOctaves = LatencySketch::kMaxExponent - LatencySketch::kMinExponent + 1;
constexpr std::size_t kBuckets = 1 + kOctaves * kSub;

}  // namespace

LatencySketch::LatencySketch() : buckets_(kBuckets, 0) {}

std::size_t LatencySketch::BucketOf(double x) {
  if (!(x >= std::ldexp(1.0, kMinExponent))) return 0;
  const uint64_t bits = std::bit_cast<uint64_t>(x);
  const int exponent = static_cast<int>((bits >> 52) & 0x7FF) - 1023;
  if (exponent > kMaxExponent) return kBuckets - 1;
  const std::size_t sub = static_cast<std::size_t>((bits >> (52 - kSubBits)) & (kSub - 1));
  return 1 + static_cast<std::size_t>(exponent - kMinExponent) * kSub + sub;
}

// The middle of bucket [L, U): L = 2^e (1 + m / 128), U = L + 2^e / 128.
double LatencySketch::Midpoint(std::size_t bucket) {
  if (bucket == 0) return 0;
  const std::size_t i = bucket - 1;
  const int exponent = static_cast<int>(i / kSub) + kMinExponent;
  const double m = static_cast<double>(i % kSub);
  return std::ldexp(1.0 + (m + 0.5) / kSub, exponent);
}

void LatencySketch::Add(double x) {
  if (x == std::numeric_limits<double>::infinity()) {
    ++infinite_;
    ++count_;
    return;
  }
  const uint64_t finite = count_ - infinite_;
  min_ = finite == 0 ? x : std::min(min_, x);
  max_ = finite == 0 ? x : std::max(max_, x);
  ++buckets_[BucketOf(x)];
  ++count_;
}

void LatencySketch::Merge(const LatencySketch& other) {
  const uint64_t finite = count_ - infinite_, other_finite = other.count_ - other.infinite_;
  if (other_finite > 0) {
    min_ = finite == 0 ? other.min_ : std::min(min_, other.min_);
    max_ = finite == 0 ? other.max_ : std::max(max_, other.max_);
  }
  for (std::size_t b = 0; b < kBuckets; ++b) buckets_[b] += other.buckets_[b];
  infinite_ += other.infinite_;
  count_ += other.count_;
}

double LatencySketch::Quantile(double q) const {
  if (count_ == 0) return 0;
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (std::size_t b = 0; b < kBuckets; ++b) {
    seen += buckets_[b];
    // The extremes are exact; a bucket's midpoint may lie outside them.
    if (seen >= rank) return std::clamp(b == 0 ? min_ : Midpoint(b), min_, max_);
  }
  return std::numeric_limits<double>::infinity();
}

void LatencySketch::Encode(std::string& out) const {
  wire::Put(out, count_);
  wire::Put(out, infinite_);
  wire::Put(out, min_);
  wire::Put(out, max_);
  const uint64_t nonzero = static_cast<uint64_t>(std::count_if(buckets_.begin(), buckets_.end(), [](uint64_t c) { return c > 0; }));
  wire::Put(out, nonzero);
  for (std::size_t b = 0; b < kBuckets; ++b) {
    if (buckets_[b] == 0) continue;
    wire::Put(out, static_cast<uint32_t>(b));
    wire::Put(out, buckets_[b]);
  }
}

LatencySketch LatencySketch::Decode(std::string_view& in) {
  LatencySketch s;
  s.count_ = wire::Get<uint64_t>(in);
  s.infinite_ = wire::Get<uint64_t>(in);
  s.min_ = wire::Get<double>(in);
  s.max_ = wire::Get<double>(in);
  const uint64_t nonzero = wire::Get<uint64_t>(in);
  uint64_t total = s.infinite_;
  for (uint64_t i = 0; i < nonzero; ++i) {
    const uint32_t b = wire::Get<uint32_t>(in);
    if (b >= kBuckets) throw InputError({"latency sketch", 0, "bucket", std::to_string(b)}, "out of range");
    s.buckets_[b] = wire::Get<uint64_t>(in);
    total += s.buckets_[b];
  }
  if (total != s.count_) throw InputError({"latency sketch", 0, "count", std::to_string(s.count_)}, "does not match its buckets");
  return s;
}

void FixedSum::Add(double x) {
  // x 2^64 is exact (a power of two); the conversion truncates toward zero, the same for every order of terms.
  value_ += static_cast<Int128>(x * 0x1p64);
}

double FixedSum::Value() const {
  // The high word converts exactly; the low word rounds once: a fixed function of the integer, whatever the order
  // in which it was summed.
  const Int128 high = value_ >> 64;
  const uint64_t low = static_cast<uint64_t>(value_);
  return static_cast<double>(static_cast<int64_t>(high)) + static_cast<double>(low) * 0x1p-64;
}

void FixedSum::Encode(std::string& out) const {
  wire::Put(out, static_cast<uint64_t>(value_));
  wire::Put(out, static_cast<int64_t>(value_ >> 64));
}

FixedSum FixedSum::Decode(std::string_view& in) {
  FixedSum s;
  const uint64_t low = wire::Get<uint64_t>(in);
  const int64_t high = wire::Get<int64_t>(in);
  s.value_ = (static_cast<Int128>(high) << 64) | low;
  return s;
}

}  // namespace thinkplan::sim
