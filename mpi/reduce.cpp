#include "mpi/reduce.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

namespace thinkplan::mpi_support {

namespace {
double Max(const std::vector<double>& v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }
double Min(const std::vector<double>& v) { return v.empty() ? 0 : *std::min_element(v.begin(), v.end()); }
}  // namespace

std::string ReduceStats::Describe(Reduction how) const {
  return fmt::format("partial results up to {:.1f} kB per rank; {} reduction: up to {:.1f} kB sent by one rank, "
                     "{:.1f} kB in all, merges {:.4f} s on rank 0 (at most {:.4f} s on a rank), {:.4f} s in all",
                     static_cast<double>(own_bytes_max) / 1e3, how == Reduction::kTree ? "tree" : "flat",
                     static_cast<double>(sent_bytes_max) / 1e3, static_cast<double>(sent_bytes_total) / 1e3,
                     merge_s_root, merge_s_max, wall_s);
}

std::string ShardTimes::Describe(int ranks) const {
  return fmt::format("{} rank(s); shards took {:.2f}-{:.2f} s wall, {:.2f}-{:.2f} s CPU (total {:.2f})", ranks,
                     Min(wall_s), Max(wall_s), Min(cpu_s), Max(cpu_s), std::accumulate(cpu_s.begin(), cpu_s.end(), 0.0));
}

ShardTimes GatherTimes(const boost::mpi::communicator& world, double wall_s, double cpu_s) {
  ShardTimes times;
  boost::mpi::gather(world, wall_s, times.wall_s, 0);
  boost::mpi::gather(world, cpu_s, times.cpu_s, 0);
  return times;
}

void GatherStats(const boost::mpi::communicator& world, std::size_t own_bytes, std::size_t sent_bytes,
                 double merge_s, ReduceStats& stats) {
  std::vector<std::size_t> own, sent;
  std::vector<double> merges;
  boost::mpi::gather(world, own_bytes, own, 0);
  boost::mpi::gather(world, sent_bytes, sent, 0);
  boost::mpi::gather(world, merge_s, merges, 0);
  if (world.rank() != 0) return;
  stats.own_bytes_max = *std::max_element(own.begin(), own.end());
  stats.sent_bytes_max = *std::max_element(sent.begin(), sent.end());
  stats.sent_bytes_total = std::accumulate(sent.begin(), sent.end(), std::size_t{0});
  stats.merge_s_root = merges.front();
  stats.merge_s_max = Max(merges);
}

}  // namespace thinkplan::mpi_support
