// A mergeable quantile sketch for latencies, and an order-free sum: the two pieces that let the fleet simulator
// stream (nothing per query is kept) and split a run over threads, processes or machines and still give the same
// figures bit for bit, whatever the split.
//
// Debian ships no C or C++ HDR histogram, DDSketch or t-digest library, so the sketch is written here. It is a
// log-linear histogram in the manner of HDR histograms: a positive double's bucket is its binary exponent and the
// top kSubBits bits of its mantissa, so a bucket [L, U) has U - L <= L / 2^kSubBits and its midpoint is within a
// relative kRelativeError = 2^-(kSubBits + 1) of any value in it (1/256 = 0.39%). Buckets are integer counts over
// a fixed range, so merging two sketches is adding counts: exact, associative and commutative (merging the shards
// of a run gives the sketch of the whole run in one pass).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace thinkplan::sim {

class LatencySketch {
 public:
  static constexpr int kSubBits = 7;                 // 128 buckets per octave
  static constexpr int kMinExponent = -20;           // 2^-20 s, about 1 microsecond: smaller values count as 0
  static constexpr int kMaxExponent = 30;            // 2^31 s (68 years): larger finite values go to the top bucket
  static constexpr double kRelativeError = 1.0 / (1 << (kSubBits + 1));

  LatencySketch();

  // x < 2^-20 (including 0) goes to the zero bucket; +infinity (an unserved query) to the overflow count.
  void Add(double x);
  void Merge(const LatencySketch& other);

  uint64_t count() const { return count_; }
  // The nearest-rank q-quantile (the value of rank ceil(q n) in ascending order, as the exact percentile the
  // simulator used to report): within kRelativeError of the exact one when it lies in [2^-20, 2^31), within
  // 2^-20 s absolute below that, and +infinity when that rank falls among the infinite values. 0 when empty.
  double Quantile(double q) const;

  // Sparse binary form (nonzero buckets only) for sending between processes; Decode throws InputError on bytes
  // that are not a sketch.
  void Encode(std::string& out) const;
  static LatencySketch Decode(std::string_view& in);

  bool operator==(const LatencySketch& o) const = default;

 private:
  static std::size_t BucketOf(double x);
  static double Midpoint(std::size_t bucket);

  std::vector<uint64_t> buckets_;  // [0]: zero bucket; then octave by octave
  uint64_t infinite_ = 0;
  uint64_t count_ = 0;
  double min_ = 0, max_ = 0;       // finite extremes, exact (clamp the estimates)
};

// A sum of doubles that does not depend on the order of its terms: each term is rounded once to a multiple of
// 2^-64 (a fixed, per-term rounding) and added as a 128-bit integer, whose addition is exact. Sums up to 2^63
// (9.2e18) in magnitude; the simulator's largest (seconds of queries in the system over a year) are below 1e15.
// Terms smaller than 2^-64 in magnitude vanish, which no simulated figure approaches.
class FixedSum {
 public:
  void Add(double x);
  void Merge(const FixedSum& other) { value_ += other.value_; }
  double Value() const;
  void Encode(std::string& out) const;
  static FixedSum Decode(std::string_view& in);
  bool operator==(const FixedSum& o) const = default;

 private:
  __extension__ using Int128 = __int128;
  Int128 value_ = 0;
};

}  // namespace thinkplan::sim
