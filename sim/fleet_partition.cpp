#include "sim/fleet_partition.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <optional>
#include <queue>

#include "sim/fleet_draws.h"

namespace thinkplan::sim::fleet_detail {
namespace {

// A query in flight. Slots are reused once it finishes, so the pool holds the queries in flight only.
struct Query {
  double arrival = 0;
  double ttft = kNever;     // absolute time of the first token of any sample
  double credit = 0;        // correctness credit from the per-problem Monte Carlo code
  double usd = 0;           // API tokens and verifier at generation
  double device_s = 0;      // self-hosted: device-seconds of the steps its samples were in (step time / batch)
  uint32_t samples = 1;
  uint32_t remaining = 0;   // samples not finished yet
  int32_t cls = 0, bucket = 0, option = 0;
};

struct Sequence {
  uint32_t query = 0;   // pool slot of its query
  uint32_t tokens = 1;  // generated tokens: thinking + answer, at least 1
};

// Slots with a free list; the order of reuse is a function of the run, so the run stays deterministic.
template <typename T>
struct Pool {
  std::vector<T> items;
  std::vector<uint32_t> free;
  std::size_t live = 0;
  uint32_t Add(const T& item) {
    ++live;
    if (!free.empty()) {
      const uint32_t slot = free.back();
      free.pop_back();
      items[slot] = item;
      return slot;
    }
    items.push_back(item);
    return static_cast<uint32_t>(items.size() - 1);
  }
  void Release(uint32_t slot) {
    --live;
    free.push_back(slot);
  }
  T& operator[](uint32_t slot) { return items[slot]; }
  const T& operator[](uint32_t slot) const { return items[slot]; }
};

using TimedQuery = std::pair<double, uint32_t>;  // (time, query slot)
using MinHeap = std::priority_queue<TimedQuery, std::vector<TimedQuery>, std::greater<>>;

// The unit's floating sums per class, folded into the partial's order-free sums once at the end.
struct ClassSums {
  double credit = 0, credit_squared = 0, usd = 0, latency = 0, device_s = 0;
};

// Shared state of one unit: the clock, the queries in flight and what finished queries add up to.
struct Fleet {
  Fleet(const FleetScenario& s, FleetPartial& p, const std::vector<double>& bounds)
      : scenario(s), partial(p), histogram_bounds(bounds), sums(s.classes.size()) {}
  const FleetScenario& scenario;
  FleetPartial& partial;
  const std::vector<double>& histogram_bounds;
  Pool<Query> queries;
  Pool<Sequence> sequences;
  std::vector<ClassSums> sums;
  double busy_replica_s = 0, batch_time = 0, kv_peak_fraction = 0, wait_s = 0, area_in_system = 0, sojourn_s = 0;
  double api_usd = 0;
  uint64_t admitted = 0, peak_in_flight = 0, arrivals = 0;
  double now = 0;
  long in_system = 0;               // queries arrived and not finished
  std::deque<uint32_t> waiting;     // sequences not yet admitted to a replica, FIFO
  MinHeap verifier;                 // queries being verified, by finish time

  long first_hour = 0;
  std::size_t hour = 0;             // hour of `now` since first_hour; the per-hour vectors have an entry for it
  double hour_end = 3600;
  std::vector<double> queue_area{0.0}, in_system_area{0.0};
  std::vector<uint64_t> queue_max{0};

  // Moves the clock to t, integrating queue and population over the hours crossed.
  void Advance(double t) {
    while (t > hour_end) {
      Integrate(hour_end - now);
      now = hour_end;
      ++hour;
      hour_end += 3600;
      queue_area.push_back(0.0);
      queue_max.push_back(waiting.size());
      in_system_area.push_back(0.0);
    }
    Integrate(t - now);
    now = t;
  }
  void Integrate(double dt) {
    queue_area[hour] += dt * static_cast<double>(waiting.size());
    in_system_area[hour] += dt * static_cast<double>(in_system);
    area_in_system += dt * static_cast<double>(in_system);
  }
  void NoteQueue() { queue_max[hour] = std::max<uint64_t>(queue_max[hour], waiting.size()); }

  uint32_t Admit(const Query& q) {
    ++in_system;
    const uint32_t slot = queries.Add(q);
    peak_in_flight = std::max<uint64_t>(peak_in_flight, queries.live);
    return slot;
  }
  // A query whose samples are all done goes to the verifier, or finishes.
  void SamplesDone(uint32_t q) {
    const FleetOption& option = OptionOf(queries[q]);
    if (option.verifier_s > 0) {
      verifier.push({now + option.verifier_s, q});
    } else {
      Finish(q);
    }
  }
  void Finish(uint32_t slot) {
    const Query& q = queries[slot];
    const double e2e = now - q.arrival;
    FleetClassPartial& p = partial.classes[static_cast<std::size_t>(q.cls)];
    ClassSums& s = sums[static_cast<std::size_t>(q.cls)];
    ++p.queries;
    ++p.served;
    ++partial.served;
    p.sequences += q.samples;
    s.credit += q.credit;
    s.credit_squared += q.credit * q.credit;
    s.usd += q.usd;
    s.latency += e2e;
    s.device_s += q.device_s;
    sojourn_s += e2e;
    api_usd += q.usd;
    p.ttft.Add(q.ttft - q.arrival);
    Record(p, q.cls, e2e);
    --in_system;
    queries.Release(slot);
  }
  // A query no replica can take (none exists, or one sample's KV cache alone does not fit): an SLO miss, left
  // out of accuracy and Little's law.
  void Unserved(const Query& q) {
    FleetClassPartial& p = partial.classes[static_cast<std::size_t>(q.cls)];
    ++p.queries;
    ++p.unserved;
    p.sequences += q.samples;
    sums[static_cast<std::size_t>(q.cls)].usd += q.usd;
    api_usd += q.usd;
    Record(p, q.cls, kNever);
  }
  void Record(FleetClassPartial& p, int cls, double e2e) {
    p.latency.Add(e2e);
    const double slo = scenario.classes[static_cast<std::size_t>(cls)].slo_p95_s;
    if (slo > 0 && e2e > slo) ++p.slo_misses;
    const std::size_t bin = static_cast<std::size_t>(
        std::lower_bound(histogram_bounds.begin(), histogram_bounds.end(), e2e) - histogram_bounds.begin());
    ++p.histogram[std::min(bin, histogram_bounds.size() - 1)];
  }
  const FleetOption& OptionOf(const Query& q) const {
    return scenario.classes[static_cast<std::size_t>(q.cls)]
        .buckets[static_cast<std::size_t>(q.bucket)]
        .options[static_cast<std::size_t>(q.option)];
  }
};

// The unit's arrivals: of the classes that can reach its system, the next query routed to it, earliest first
// (ties to the lower class index). Each query's route is drawn to decide; the rest only for those kept.
struct Arrivals {
  struct Stream {
    ArrivalStream arrivals;
    int cls;
    std::vector<std::vector<double>> fractions;
    double time = kNever;
    uint64_t id = 0;
    Route route;
  };
  const FleetScenario& scenario;
  uint64_t seed;
  int system;
  std::vector<Stream> streams;
  std::size_t next = 0;
  double next_time = kNever;

  void Pull(Stream& s) {
    double t = 0;
    uint64_t id = 0;
    const FleetClass& c = scenario.classes[static_cast<std::size_t>(s.cls)];
    while (s.arrivals.Next(&t, &id)) {
      const Route route = RouteOf(c, s.fractions, seed, id);
      if (route.system != system) continue;
      s.time = t;
      s.id = id;
      s.route = route;
      return;
    }
    s.time = kNever;
  }
  void Choose() {
    next_time = kNever;
    for (std::size_t i = 0; i < streams.size(); ++i) {
      if (streams[i].time < next_time) {
        next_time = streams[i].time;
        next = i;
      }
    }
  }
  double NextTime() const { return next_time; }
};

// API systems: every sample is an independent request (an infinite-server pool); the query's samples run side
// by side, so it is done when the slowest is.
struct ApiPool {
  const FleetSystem& system;
  MinHeap running;
  double NextTime() const { return running.empty() ? kNever : running.top().first; }
  void Start(Fleet& fleet, uint32_t q, uint32_t longest_tokens) {
    Query& query = fleet.queries[q];
    query.ttft = fleet.now + system.ttft_s;
    fleet.admitted += query.samples;
    running.push({fleet.now + system.ttft_s + longest_tokens / system.output_tokens_per_s, q});
  }
  void Complete(Fleet& fleet) {
    const uint32_t q = running.top().second;
    running.pop();
    fleet.SamplesDone(q);
  }
};

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

// One self-hosted replica with continuous batching: each decode step gives every running sequence one token;
// sequences join at step boundaries when the KV cache can hold them to their final length (no preemption);
// newly admitted sequences are prefilled in a pass of their own before they decode (prefill first, as vLLM's
// default scheduler does).
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
      fleet.wait_s += fleet.now - fleet.queries[fleet.sequences[s].query].arrival;
      ++fleet.admitted;
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
    fleet.busy_replica_s += step_s;
    fleet.batch_time += step_s * static_cast<double>(prefill ? pending.size() : static_cast<std::size_t>(batch));
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
    fleet.kv_peak_fraction = std::max(fleet.kv_peak_fraction, context_sum / kv_capacity_tokens);
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
    double& busy = fleet.busy_replica_s;
    double& batch_time = fleet.batch_time;
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
    fleet.kv_peak_fraction = std::max(fleet.kv_peak_fraction, context_sum / kv_capacity_tokens);
    step_s = s;
    step_end = end;
  }

  void Retire(Fleet& fleet, uint32_t s, double share_start) {
    const double final_context = FinalContext(fleet, s);
    context_sum -= final_context;
    reserved -= final_context;
    --batch;
    const uint32_t query = fleet.sequences[s].query;
    fleet.sequences.Release(s);
    Query& q = fleet.queries[query];
    q.device_s += (share - share_start) * static_cast<double>(system.devices_per_replica);
    if (--q.remaining == 0) fleet.SamplesDone(query);
  }
};

// Draws the arriving query and hands it to the API pool or the replicas' queue.
void Arrive(Fleet& fleet, Arrivals& arrivals, ApiPool& api, std::vector<Replica>& replicas, double kv_capacity_tokens,
            bool api_system, std::vector<uint32_t>& tokens) {
  ++fleet.arrivals;
  Arrivals::Stream& stream = arrivals.streams[arrivals.next];
  const FleetClass& c = fleet.scenario.classes[static_cast<std::size_t>(stream.cls)];
  const QueryDraw draw = DrawQuery(c, stream.route, arrivals.seed, stream.id, tokens);
  Query q;
  q.arrival = stream.time;
  q.credit = draw.credit;
  q.usd = draw.usd;
  q.samples = static_cast<uint32_t>(tokens.size());
  q.remaining = q.samples;
  q.cls = stream.cls;
  q.bucket = stream.route.bucket;
  q.option = stream.route.option;
  arrivals.Pull(stream);
  arrivals.Choose();
  const uint32_t longest = *std::max_element(tokens.begin(), tokens.end());
  if (api_system) {
    api.Start(fleet, fleet.Admit(q), longest);
    return;
  }
  if (replicas.empty() || c.prompt_tokens + longest > kv_capacity_tokens) {
    fleet.Unserved(q);
    return;
  }
  const uint32_t slot = fleet.Admit(q);
  for (uint32_t n : tokens) fleet.waiting.push_back(fleet.sequences.Add({slot, n}));
  fleet.NoteQueue();
  for (Replica& r : replicas) {
    if (r.Idle()) r.AdmitAndStep(fleet);
  }
}

// Adds the unit's figures to the partial: counts were added as queries finished; the floating sums once here.
void Fold(const Fleet& fleet, int system, FleetPartial& out) {
  for (std::size_t c = 0; c < fleet.sums.size(); ++c) {
    const ClassSums& s = fleet.sums[c];
    FleetClassPartial& p = out.classes[c];
    p.credit.Add(s.credit);
    p.credit_squared.Add(s.credit_squared);
    p.usd.Add(s.usd);
    p.latency_sum.Add(s.latency);
    out.systems[static_cast<std::size_t>(system)].device_s_by_class[c].Add(s.device_s);
  }
  FleetSystemPartial& sys = out.systems[static_cast<std::size_t>(system)];
  sys.sequences += fleet.admitted;
  sys.busy_replica_s.Add(fleet.busy_replica_s);
  sys.batch_time.Add(fleet.batch_time);
  sys.wait_s.Add(fleet.wait_s);
  sys.api_usd.Add(fleet.api_usd);
  sys.kv_peak_fraction = std::max(sys.kv_peak_fraction, fleet.kv_peak_fraction);
  out.area_in_system.Add(fleet.area_in_system);
  out.sojourn_s.Add(fleet.sojourn_s);
  if (fleet.arrivals > 0) out.end_s = std::max(out.end_s, fleet.now);  // a unit without traffic ends nothing
  out.peak_in_flight = std::max(out.peak_in_flight, fleet.peak_in_flight);
  ++out.units;
  const std::size_t hours = static_cast<std::size_t>(fleet.first_hour) + fleet.queue_area.size();
  if (out.queue_area.size() < hours) {
    out.queue_area.resize(hours);
    out.in_system_area.resize(hours);
    out.queue_max.resize(hours, 0);
  }
  for (std::size_t h = 0; h < fleet.queue_area.size(); ++h) {
    const std::size_t at = static_cast<std::size_t>(fleet.first_hour) + h;
    out.queue_area[at].Add(fleet.queue_area[h]);
    out.in_system_area[at].Add(fleet.in_system_area[h]);
    out.queue_max[at] += fleet.queue_max[h];
  }
}

}  // namespace

void RunUnit(const FleetScenario& scenario, uint64_t seed, double days, const FleetWorkUnit& unit, FleetPartial& out) {
  const int system_index = unit.system;
  const FleetSystem& system = scenario.systems[static_cast<std::size_t>(system_index)];
  static const std::vector<double> kBounds = LatencyHistogramBounds();
  Fleet fleet(scenario, out, kBounds);
  fleet.first_hour = unit.first_hour;
  fleet.now = static_cast<double>(unit.first_hour) * 3600.0;
  fleet.hour_end = fleet.now + 3600.0;

  Arrivals arrivals{scenario, seed, system_index, {}, 0, kNever};
  for (std::size_t c = 0; c < scenario.classes.size(); ++c) {
    const FleetClass& fc = scenario.classes[c];
    const bool reaches = std::any_of(fc.buckets.begin(), fc.buckets.end(), [&](const FleetBucket& b) {
      return std::any_of(b.options.begin(), b.options.end(), [&](const FleetOption& o) { return o.system == system_index; });
    });
    if (!reaches) continue;
    arrivals.streams.push_back({ArrivalStream(scenario, static_cast<int>(c), seed, days, unit.first_hour, unit.end_hour),
                                static_cast<int>(c), OptionFractions(fc), kNever, 0, Route{}});
  }
  for (Arrivals::Stream& s : arrivals.streams) arrivals.Pull(s);
  arrivals.Choose();

  ApiPool api{system, {}};
  std::vector<Replica> replicas;
  std::optional<DecodeTable> decode;
  double kv_capacity_tokens = 0;
  if (!system.api) {
    decode.emplace(*system.model, system.max_batch);
    // The planner sizes its replicas against the same capacity (core/fleet_model.h).
    kv_capacity_tokens = KvCapacityTokens(*system.model);
    for (long r = 0; r < system.replicas; ++r) {
      replicas.emplace_back(system, *decode);
      replicas.back().kv_capacity_tokens = kv_capacity_tokens;
    }
  }
  std::vector<uint32_t> tokens;

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
      case Component::kArrival:
        Arrive(fleet, arrivals, api, replicas, kv_capacity_tokens, system.api, tokens);
        break;
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
  Fold(fleet, system_index, out);
}

}  // namespace thinkplan::sim::fleet_detail
