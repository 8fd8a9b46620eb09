// Reducing the ranks' partial results to rank 0 (docs/scale.md, "A model of 64 and 1,024 ranks"). A partial is
// encoded to bytes for the wire and merged by an exact, associative operation (sim::FleetPartial::Merge adds
// integers; pipeline::MergeSweepPartials concatenates and sorts by item), so any bracketing of the merges gives
// the same bits; both reductions below also keep the ranks' order, so they would stay right for an operation that
// is associative but not commutative.
//   flat: a gather of every rank's bytes to rank 0, which merges them in rank order: P - 1 messages into one
//         rank and P - 1 merges there.
//   tree: a binomial tree: in round k (k = 0, 1, ...) rank r with bit k set sends what it holds to r - 2^k and is
//         done; rank r without it receives from r + 2^k (if that exists) and merges it after its own. ceil(log2 P)
//         rounds, at most that many messages and merges on any rank, the merges spread over the ranks.
#pragma once

#include <cstddef>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include <boost/mpi.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include "core/timing.h"

namespace thinkplan::mpi_support {

enum class Reduction { kTree, kFlat };

// The CPU time of the whole process (every thread) since construction. On a shared machine the wall time measures
// the other jobs too; the CPU time measures the work.
class CpuStopwatch {
 public:
  CpuStopwatch() : start_(std::clock()) {}
  double Seconds() const { return static_cast<double>(std::clock() - start_) / CLOCKS_PER_SEC; }

 private:
  std::clock_t start_;
};

// What the reduction cost, as rank 0 reports it.
struct ReduceStats {
  std::size_t own_bytes_max = 0;   // the largest rank's own encoded partial
  std::size_t sent_bytes_max = 0;  // the most one rank sent (tree: what it held, its subtree's merged partial)
  std::size_t sent_bytes_total = 0;
  double merge_s_root = 0;         // time rank 0 spent decoding and merging
  double merge_s_max = 0;          // the most any rank spent decoding, merging and re-encoding
  double wall_s = 0;               // rank 0: from the barrier that starts the reduction to the merged result
  std::string Describe(Reduction how) const;
};

// Each rank's wall and CPU time for its shard, gathered on rank 0.
struct ShardTimes {
  std::vector<double> wall_s, cpu_s;
  std::string Describe(int ranks) const;  // rank 0 only
};
ShardTimes GatherTimes(const boost::mpi::communicator& world, double wall_s, double cpu_s);

// The figures of every rank, gathered on rank 0 into `stats`.
void GatherStats(const boost::mpi::communicator& world, std::size_t own_bytes, std::size_t sent_bytes,
                 double merge_s, ReduceStats& stats);

// Reduces every rank's `mine` to rank 0 and returns the merged partial there (on the other ranks: what the rank
// held when it passed it on, or its own under the flat gather). `encode(const Partial&) -> std::string`,
// `decode(const std::string&) -> Partial`, `merge(Partial& into, Partial&& later)` with `later` from higher ranks.
template <class Partial, class Encode, class Decode, class Merge>
Partial ReduceToRoot(const boost::mpi::communicator& world, Partial mine, Reduction how, Encode encode,
                     Decode decode, Merge merge, ReduceStats& stats) {
  const int rank = world.rank(), size = world.size();
  // Start together, so that the reduction's time is its own and not the wait for the slowest shard.
  world.barrier();
  const Stopwatch wall;
  double merge_s = 0;
  std::string bytes = encode(mine);
  const std::size_t own_bytes = bytes.size();
  std::size_t sent_bytes = 0;
  if (how == Reduction::kFlat) {
    std::vector<std::string> all;
    boost::mpi::gather(world, bytes, all, 0);
    sent_bytes = rank == 0 ? 0 : bytes.size();
    if (rank == 0) {
      const Stopwatch merging;
      for (std::size_t r = 1; r < all.size(); ++r) merge(mine, decode(all[r]));
      merge_s = merging.Seconds();
    }
  } else {
    constexpr int kTag = 17;
    bool merged = false;
    for (int step = 1; step < size; step <<= 1) {
      if (rank & step) {
        if (merged) {  // what it holds now is its subtree's merge, not its own partial
          const Stopwatch encoding;
          bytes = encode(mine);
          merge_s += encoding.Seconds();
        }
        world.send(rank - step, kTag, bytes);
        sent_bytes = bytes.size();
        break;
      }
      if (rank + step >= size) continue;
      std::string theirs;
      world.recv(rank + step, kTag, theirs);
      const Stopwatch merging;
      merge(mine, decode(theirs));
      merge_s += merging.Seconds();
      merged = true;
    }
  }
  const double wall_s = wall.Seconds();
  GatherStats(world, own_bytes, sent_bytes, merge_s, stats);
  stats.wall_s = wall_s;
  return mine;
}

}  // namespace thinkplan::mpi_support
