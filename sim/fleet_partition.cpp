#include "sim/fleet_partition.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <optional>
#include <queue>

namespace thinkplan::sim::fleet_detail {
namespace {

using TimedQuery = std::pair<double, uint32_t>;  // (time, query index)
using MinHeap = std::priority_queue<TimedQuery, std::vector<TimedQuery>, std::greater<>>;

// Shared state of one partition: the clock, the queries in it and the statistics that integrate over time.
struct Fleet {
  const FleetScenario& scenario;
  BigVector<Query>& queries;
  const BigVector<Sequence>& sequences;
  PartitionStats stats;
  double now = 0;
  long in_system = 0;               // queries arrived and not finished
  std::deque<uint32_t> waiting;     // sequences not yet admitted to a replica, FIFO
  MinHeap verifier;                 // queries being verified, by finish time

  std::size_t hour = 0;   // hour of `now`; the per-hour vectors always have an entry for it
  double hour_end = 3600;

  // Moves the clock to t, integrating queue and population over the hours crossed.
  void Advance(double t) {
    while (t > hour_end) {
      Integrate(hour_end - now);
      now = hour_end;
      ++hour;
      hour_end += 3600;
      stats.queue_area.push_back(0.0);
      stats.queue_max.push_back(waiting.size());
      stats.in_system_area.push_back(0.0);
    }
    Integrate(t - now);
    now = t;
  }
  void Integrate(double dt) {
    stats.queue_area[hour] += dt * static_cast<double>(waiting.size());
    stats.in_system_area[hour] += dt * static_cast<double>(in_system);
    stats.area_in_system += dt * static_cast<double>(in_system);
  }
  void NoteQueue() { stats.queue_max[hour] = std::max<uint64_t>(stats.queue_max[hour], waiting.size()); }

  // A query whose samples are all done goes to the verifier, or finishes.
  void SamplesDone(uint32_t q) {
    const FleetOption& option = OptionOf(queries[q]);
    if (option.verifier_s > 0) {
      verifier.push({now + option.verifier_s, q});
    } else {
      Finish(q);
    }
  }
  void Finish(uint32_t q) {
    queries[q].finish = now;
    --in_system;
  }
  const FleetOption& OptionOf(const Query& q) const {
    return scenario.classes[static_cast<std::size_t>(q.cls)]
        .buckets[static_cast<std::size_t>(q.bucket)]
        .options[static_cast<std::size_t>(q.option)];
  }
};

// The arrival process of the partition: its queries in arrival order.
struct Arrivals {
  const BigVector<uint32_t>& order;
  const BigVector<Query>& queries;
  std::size_t next = 0;
  double NextTime() const { return next < order.size() ? queries[order[next]].arrival : kNever; }
  uint32_t Pop() { return order[next++]; }
};

// API systems: every sample is an independent request (an infinite-server pool); the query's samples run side
// by side, so it is done when the slowest is.
struct ApiPool {
  const FleetSystem& system;
  MinHeap running;
  double NextTime() const { return running.empty() ? kNever : running.top().first; }
  void Start(Fleet& fleet, uint32_t q) {
    Query& query = fleet.queries[q];
    double longest = 0;
    for (uint32_t j = 0; j < query.samples; ++j) {
      longest = std::max(longest, fleet.sequences[query.first_sequence + j].tokens / system.output_tokens_per_s);
    }
    query.ttft = fleet.now + system.ttft_s;
    fleet.stats.sequences += query.samples;
    running.push({fleet.now + system.ttft_s + longest, q});
  }
  void Complete(Fleet& fleet) {
    const uint32_t q = running.top().second;
    running.pop();
    fleet.SamplesDone(q);
  }
};

// One self-hosted replica with continuous batching: each decode step gives every running sequence one token;
// sequences join at step boundaries when the KV cache can hold them to their final length (no preemption);
// newly admitted sequences are prefilled in a pass of their own before they decode (prefill first, as vLLM's
// default scheduler does).
// Decode step time per batch size, tabulated once: both roofline terms are linear in the context.
struct DecodeTable {
  double t0 = 0;
  std::vector<double> c0, c1, m0, m1;  // index: batch - 1
  DecodeTable(const CostModel& model, long max_batch) : t0(model.rates().t0_s) {
    for (long b = 1; b <= max_batch; ++b) {
      const double bb = static_cast<double>(b);
      const StepTime s0 = model.DecodeStep(bb, 0), s1 = model.DecodeStep(bb, 1);
      c0.push_back(s0.compute_s);
      c1.push_back(s1.compute_s - s0.compute_s);
      m0.push_back(s0.memory_s);
      m1.push_back(s1.memory_s - s0.memory_s);
    }
  }
  double Step(long batch, double context) const {
    const std::size_t i = static_cast<std::size_t>(batch - 1);
    return t0 + std::max(c0[i] + c1[i] * context, m0[i] + m1[i] * context);
  }
};

struct Replica {
  Replica(const FleetSystem& s, const DecodeTable& d) : system(s), decode(d) {}
  const FleetSystem& system;
  const DecodeTable& decode;
  double kv_capacity_tokens = 0;  // KV tokens that fit beside the weights
  double step_end = kNever;
  bool prefill = false;
  double step_s = 0;
  std::vector<uint32_t> pending;  // admitted, waiting for their prefill pass
  // Running sequences by the decode step count at which they finish, with the replica's `share` when they started
  // decoding minus their prefill share (what their device time is measured from).
  struct Running {
    uint64_t finish_step;
    uint32_t sequence;
    double share_start;
    bool operator>(const Running& o) const {
      return finish_step != o.finish_step ? finish_step > o.finish_step : sequence > o.sequence;
    }
  };
  std::priority_queue<Running, std::vector<Running>, std::greater<>> running;
  long batch = 0;
  uint64_t steps = 0;
  double context_sum = 0;    // tokens cached by the running sequences
  double reserved = 0;       // KV tokens reserved by running and pending sequences (their final contexts)
  double share = 0;          // cumulative replica-seconds per running sequence (step time / batch)

  double NextTime() const { return step_end; }
  bool Idle() const { return step_end == kNever; }

  double Prompt(const Fleet& fleet, uint32_t s) const {
    return fleet.scenario.classes[static_cast<std::size_t>(fleet.queries[fleet.sequences[s].query].cls)].prompt_tokens;
  }
  double FinalContext(const Fleet& fleet, uint32_t s) const { return Prompt(fleet, s) + fleet.sequences[s].tokens; }

  // Takes waiting sequences while the batch and the KV cache allow, then starts the next step if there is work.
  void AdmitAndStep(Fleet& fleet) {
    while (!fleet.waiting.empty() && batch + static_cast<long>(pending.size()) < system.max_batch) {
      const uint32_t s = fleet.waiting.front();
      const double need = FinalContext(fleet, s);
      if (reserved + need > kv_capacity_tokens) break;
      fleet.waiting.pop_front();
      reserved += need;
      pending.push_back(s);
      fleet.stats.wait_s += fleet.now - fleet.queries[fleet.sequences[s].query].arrival;
      ++fleet.stats.sequences;
    }
    const CostModel& model = *system.model;
    if (!pending.empty()) {
      double prompts = 0;
      for (uint32_t s : pending) prompts += Prompt(fleet, s);
      const double n = static_cast<double>(pending.size());
      step_s = model.Prefill(n, prompts / n).total_s;
      prefill = true;
    } else if (batch > 0) {
      step_s = decode.Step(batch, context_sum / static_cast<double>(batch));
      prefill = false;
    } else {
      step_end = kNever;
      return;
    }
    step_end = fleet.now + step_s;
    fleet.stats.busy_replica_s += step_s;
    fleet.stats.batch_time += step_s * static_cast<double>(prefill ? pending.size() : static_cast<std::size_t>(batch));
  }

  void EndStep(Fleet& fleet) {
    if (prefill) {
      const double prefill_share = step_s / static_cast<double>(pending.size());
      for (uint32_t s : pending) {
        Query& q = fleet.queries[fleet.sequences[s].query];
        q.ttft = std::min(q.ttft, fleet.now);
        context_sum += Prompt(fleet, s) + 1;
        ++batch;
        running.push({steps + fleet.sequences[s].tokens - 1, s, share - prefill_share});
      }
      pending.clear();
    } else {
      ++steps;
      share += step_s / static_cast<double>(batch);
      context_sum += static_cast<double>(batch);
    }
    const double kv_in_use = context_sum;
    fleet.stats.kv_peak_fraction = std::max(fleet.stats.kv_peak_fraction, kv_in_use / kv_capacity_tokens);
    while (!running.empty() && running.top().finish_step <= steps) {
      const Running r = running.top();
      running.pop();
      Retire(fleet, r.sequence, r.share_start);
    }
    AdmitAndStep(fleet);
  }

  // Whether AdmitAndStep would take the first waiting sequence now.
  bool CanAdmit(const Fleet& fleet) const {
    return !fleet.waiting.empty() && batch + static_cast<long>(pending.size()) < system.max_batch &&
           reserved + FinalContext(fleet, fleet.waiting.front()) <= kv_capacity_tokens;
  }

  // Completes the decode steps in progress that end before `bound`, retire nothing and are followed by no
  // admission, with the same arithmetic as EndStep and AdmitAndStep one step at a time. Nothing else acts before
  // `bound`, so the queue cannot change meanwhile; the fleet's clock is left where it is (the time integrals do
  // not change within the run).
  void FastForward(Fleet& fleet, double bound) {
    if (prefill || batch == 0 || running.empty() || CanAdmit(fleet)) return;
    const uint64_t next_retirement = running.top().finish_step;
    const double b = static_cast<double>(batch);
    double end = step_end, s = step_s;
    double& busy = fleet.stats.busy_replica_s;
    double& batch_time = fleet.stats.batch_time;
    while (end < bound && steps + 1 < next_retirement) {
      ++steps;
      share += s / b;
      context_sum += b;
      s = decode.Step(batch, context_sum / b);
      end += s;
      busy += s;
      batch_time += s * b;
    }
    if (end == step_end) return;
    fleet.stats.kv_peak_fraction = std::max(fleet.stats.kv_peak_fraction, context_sum / kv_capacity_tokens);
    step_s = s;
    step_end = end;
  }

  void Retire(Fleet& fleet, uint32_t s, double share_start) {
    const double final_context = FinalContext(fleet, s);
    context_sum -= final_context;
    reserved -= final_context;
    --batch;
    Query& q = fleet.queries[fleet.sequences[s].query];
    const double device_s = (share - share_start) * static_cast<double>(system.devices_per_replica);
    q.device_s += device_s;
    if (--q.remaining == 0) fleet.SamplesDone(fleet.sequences[s].query);
  }
};

}  // namespace

PartitionStats RunPartition(const FleetScenario& scenario, int system_index, const BigVector<uint32_t>& order,
                            BigVector<Query>& queries, const BigVector<Sequence>& sequences) {
  const FleetSystem& system = scenario.systems[static_cast<std::size_t>(system_index)];
  Fleet fleet{scenario, queries, sequences, {}, 0, 0, {}, {}, 0, 3600};
  fleet.stats.queue_area.assign(1, 0.0);
  fleet.stats.queue_max.assign(1, 0);
  fleet.stats.in_system_area.assign(1, 0.0);
  Arrivals arrivals{order, queries};
  ApiPool api{system, {}};
  std::vector<Replica> replicas;
  std::optional<DecodeTable> decode;
  double kv_capacity_tokens = 0;
  if (!system.api) {
    decode.emplace(*system.model, system.max_batch);
    const CostModel& model = *system.model;
    // The planner sizes its replicas against the same capacity (core/fleet_model.h).
    kv_capacity_tokens = KvCapacityTokens(model);
    for (long r = 0; r < system.replicas; ++r) {
      Replica replica(system, *decode);
      replica.kv_capacity_tokens = kv_capacity_tokens;
      replicas.push_back(std::move(replica));
    }
  }

  // The event loop: ask every component for the time of its next event, move the clock to the earliest, let that
  // component act. Ties go to the first component in this order, which keeps the run deterministic.
  // `horizon` is the second-earliest time: until then nothing but the chosen component can act, so a replica may
  // take its steps one after another without the scan (ties go back to the scan, which orders them).
  enum class Component { kNone, kArrival, kApi, kReplica, kVerifier };
  for (;;) {
    Component which = Component::kNone;
    std::size_t replica = 0;
    double t = kNever, horizon = kNever;
    auto consider = [&](double candidate, Component component) {
      if (candidate < t) {
        horizon = t;
        t = candidate;
        which = component;
        return true;
      }
      horizon = std::min(horizon, candidate);
      return false;
    };
    consider(arrivals.NextTime(), Component::kArrival);
    consider(api.NextTime(), Component::kApi);
    for (std::size_t r = 0; r < replicas.size(); ++r) {
      if (consider(replicas[r].NextTime(), Component::kReplica)) replica = r;
    }
    consider(fleet.verifier.empty() ? kNever : fleet.verifier.top().first, Component::kVerifier);
    if (which == Component::kNone) break;
    fleet.Advance(t);

    switch (which) {
      case Component::kArrival: {
        const uint32_t q = arrivals.Pop();
        Query& query = queries[q];
        if (system.api) {
          ++fleet.in_system;
          api.Start(fleet, q);
          break;
        }
        double largest = 0;
        for (uint32_t j = 0; j < query.samples; ++j) {
          largest = std::max(largest, scenario.classes[static_cast<std::size_t>(query.cls)].prompt_tokens +
                                          sequences[query.first_sequence + j].tokens);
        }
        if (replicas.empty() || largest > kv_capacity_tokens) {
          query.unserved = true;  // no replica exists, or one sample's KV cache alone does not fit
          break;
        }
        ++fleet.in_system;
        for (uint32_t j = 0; j < query.samples; ++j) fleet.waiting.push_back(query.first_sequence + j);
        fleet.NoteQueue();
        for (Replica& r : replicas) {
          if (r.Idle()) r.AdmitAndStep(fleet);
        }
        break;
      }
      case Component::kApi:
        api.Complete(fleet);
        break;
      case Component::kReplica: {
        Replica& r = replicas[replica];
        r.EndStep(fleet);
        for (;;) {
          // A retirement may hand a query to the verifier, which then bounds the run too.
          const double bound = std::min(horizon, fleet.verifier.empty() ? kNever : fleet.verifier.top().first);
          r.FastForward(fleet, bound);
          if (!(r.NextTime() < bound)) break;
          fleet.Advance(r.NextTime());
          r.EndStep(fleet);
        }
        break;
      }
      case Component::kVerifier: {
        const uint32_t q = fleet.verifier.top().second;
        fleet.verifier.pop();
        fleet.Finish(q);
        break;
      }
      case Component::kNone:
        break;
    }
  }
  fleet.stats.end_s = fleet.now;
  return fleet.stats;
}

}  // namespace thinkplan::sim::fleet_detail
