// Internal to the fleet simulator: the random draws behind each query, made as the simulated clock advances.
// Every draw comes from Philox keyed by the seed with a counter naming what it is for, so a query's fate does not
// depend on which thread, process or shard draws it, nor on how the run is split:
//   arrivals: (draw within the hour, hour, class, kArrivalTag): each hour of each class is its own stream;
//   routing, tokens: (query id low, query id high, sample, tag), the query id being (class, hour, index in hour);
//   correctness: the Monte Carlo engine's per-problem streams under the plain seed, problem = query id.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "sim/fleet.h"

namespace thinkplan::sim::fleet_detail {

constexpr double kNever = std::numeric_limits<double>::infinity();

// (class << 48) | (hour << 32) | index of the arrival within that hour of that class.
inline uint64_t QueryId(int cls, long hour, uint64_t index) {
  return (static_cast<uint64_t>(cls) << 48) | (static_cast<uint64_t>(hour) << 32) | index;
}

// One class's arrivals over hours [first_hour, end_hour) of the horizon, generated one at a time: a Poisson
// process whose rate is constant within each hour (memoryless, so each hour starts afresh at its boundary).
class ArrivalStream {
 public:
  ArrivalStream(const FleetScenario& scenario, int cls, uint64_t seed, double days, long first_hour, long end_hour);
  // The next arrival's time and query id; false when the range is exhausted.
  bool Next(double* time, uint64_t* id);

 private:
  bool StartHour();
  double Uniform();

  const FleetClass& class_;
  int cls_;
  uint32_t k0_, k1_;
  double horizon_s_, mean_rate_;
  long hour_, end_hour_;
  double t_ = 0, rate_ = 0, hour_end_ = 0;
  uint64_t draw_ = 0, index_ = 0;
  uint32_t words_[4] = {};
};

// Where a query goes: drawn from its routing block before anything else, so a shard can skip the queries of
// other systems cheaply.
struct Route {
  int true_bucket = 0, bucket = 0, option = 0, system = 0;
  double credit_uniform = 0;  // the pass@1 credit's uniform, from the same block
};
Route RouteOf(const FleetClass& c, const std::vector<std::vector<double>>& fractions, uint64_t seed, uint64_t id);

// The rest of a query: the thinking plus answer tokens of each sample (into `tokens`), the correctness credit,
// the API cost.
struct QueryDraw {
  double credit = 0;
  double usd = 0;
  double tokens_total = 0;
};
QueryDraw DrawQuery(const FleetClass& c, const Route& route, uint64_t seed, uint64_t id, std::vector<uint32_t>& tokens);

// Option fractions per predicted bucket of a class, for RouteOf.
std::vector<std::vector<double>> OptionFractions(const FleetClass& c);

}  // namespace thinkplan::sim::fleet_detail
