// Internal to the fleet simulator: the queries and sequences it draws, and the random draws behind them. Every
// draw comes from Philox keyed by the seed with a counter naming (query, sample, purpose), so a query's fate
// does not depend on which thread draws it or in which order.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "sim/big_vector.h"
#include "sim/fleet.h"

namespace thinkplan::sim::fleet_detail {

constexpr double kNever = std::numeric_limits<double>::infinity();

struct Query {
  double arrival = 0;
  double ttft = kNever;     // absolute time of the first token of any sample
  double finish = kNever;   // absolute time the answer is ready (after the verifier); kNever = unserved
  double credit = 0;        // correctness credit from the per-problem Monte Carlo code
  double usd = 0;           // API tokens and verifier at generation; the self-hosted fleet's share added at the end
  double device_s = 0;      // self-hosted: device-seconds of the steps its samples were in (step time / batch)
  uint64_t id = 0;          // (class << 40) | arrival index: the key of its random streams
  uint32_t first_sequence = 0;
  uint16_t samples = 1;
  uint16_t remaining = 0;   // samples not finished yet
  int32_t cls = 0, bucket = 0, option = 0, system = 0;
  bool unserved = false;
};

struct Sequence {
  uint32_t query = 0;
  uint32_t tokens = 1;  // generated tokens: thinking + answer, at least 1
};

// Arrival times of one class over the simulated days, ascending.
BigVector<double> DrawArrivals(const FleetScenario& scenario, int cls, uint64_t seed, double days);

// Fills queries[first + i] for the class's i-th arrival (route, option, samples, credit, API cost) and appends
// its sequences to `sequences`, whose Query::first_sequence and Sequence::query index `sequences` and `queries`.
// Writes only that slice of `queries`, so classes can be drawn side by side.
void DrawQueries(const FleetScenario& scenario, int cls, uint64_t seed, const BigVector<double>& arrivals,
                 BigVector<Query>& queries, std::size_t first, BigVector<Sequence>& sequences);

}  // namespace thinkplan::sim::fleet_detail
