#!/usr/bin/python3
"""The fleet model of sim/fleet.cpp written straightforwardly in SimPy 3, for the throughput comparison of
bench/fleet_vs_simpy.sh. Same scenario (exported by bench_fleet --export), same model: Poisson arrivals with an
hourly profile, routing through the confusion matrix, option draw, LogNormal thinking lengths and correctness
from Beta difficulty and per-sample Bernoulli draws (both per true bucket where the plan gives them), API samples
as TTFT + tokens / speed, self-hosted replicas with continuous batching (prefill pass, then one token per running
sequence per decode step, KV-limited admission), a verifier delay. Its random numbers differ (Python's
generator); the distributions are the same.

usage: fleet_vs_simpy.py scenario.json DAYS [REPEATS]  -> one JSON line: sequences, wall and CPU seconds per run
"""
import json
import math
import random
import sys
import time

import simpy


def pick(weights, u):
    acc = 0.0
    for i, w in enumerate(weights[:-1]):
        acc += w
        if u < acc:
            return i
    return len(weights) - 1


def draw_tokens(o, rng):
    thinking = 0.0
    if o["token_kind"] == 1:
        thinking = math.exp(rng.gauss(o["mu"], o["sigma"]))
    elif o["token_kind"] == 2:
        thinking = rng.expovariate(1.0 / o["mean"])
    if o["cap"] is not None:
        thinking = min(thinking, o["cap"])
    return max(1, int(math.ceil(thinking) + round(o["answer_tokens"])))


def credit(o, rng):
    p = rng.betavariate(o["beta_a"], o["beta_b"])
    k = o["samples"]
    right = [rng.random() < p for _ in range(k)]
    if o["aggregation"] in ("pass1", "pass_at"):
        return 1.0 if any(right) else 0.0
    if o["aggregation"] == "best_of":
        scores = [(o["dprime"] if r else 0.0) + rng.gauss(0, 1) for r in right]
        return 1.0 if right[scores.index(max(scores))] else 0.0
    r = sum(right)
    top_wrong = sum(1 for x in right if not x and rng.random() < o["rho"])
    singles = k - r - top_wrong
    most = max(r, top_wrong, 1 if singles > 0 else 0)
    if r == 0 or r != most:
        return 0.0
    tied = 1 + (top_wrong == r) + (singles if r == 1 else 0)
    return 1.0 / tied


class Replica:
    """One self-hosted replica: a SimPy process that runs steps while it has work."""

    def __init__(self, env, system, pool):
        self.env, self.system, self.pool = env, system, pool
        self.running = []  # [remaining tokens, context, prompt + tokens, sequence done event]
        self.reserved = 0.0
        self.wake = env.event()
        env.process(self.loop())

    def admit(self):
        pending = []
        while self.pool.waiting and len(self.running) + len(pending) < self.system["max_batch"]:
            prompt, tokens, done = self.pool.waiting[0]
            if self.reserved + prompt + tokens > self.system["kv_capacity_tokens"]:
                break
            self.pool.waiting.pop(0)
            self.reserved += prompt + tokens
            pending.append((prompt, tokens, done))
        return pending

    def loop(self):
        env, s = self.env, self.system
        while True:
            pending = self.admit()
            if pending:
                n = len(pending)
                table = s["prefill"][str(int(pending[0][0]))]
                yield env.timeout(table[n - 1])
                for prompt, tokens, done in pending:
                    done["ttft"] = min(done["ttft"], env.now)
                    self.running.append([tokens - 1, prompt + 1, prompt + tokens, done])
            elif self.running:
                b = len(self.running)
                c0, c1, m0, m1 = s["decode"][b - 1]
                context = sum(r[1] for r in self.running) / b
                yield env.timeout(s["t0_s"] + max(c0 + c1 * context, m0 + m1 * context))
                for r in self.running:
                    r[0] -= 1
                    r[1] += 1
            else:
                self.wake = env.event()
                yield self.wake
                continue
            finished = [r for r in self.running if r[0] <= 0]
            if finished:
                self.running = [r for r in self.running if r[0] > 0]
                for r in finished:
                    self.reserved -= r[2]
                    r[3]["left"] -= 1
                    if r[3]["left"] == 0:
                        r[3]["event"].succeed()


class Pool:
    def __init__(self, env, system):
        self.waiting = []
        self.replicas = [Replica(env, system, self) for _ in range(system["replicas"])]

    def submit(self, item):
        self.waiting.append(item)
        for r in self.replicas:
            if not r.wake.triggered:
                r.wake.succeed()


def query(env, scenario, pools, c, rng, stats):
    o_true = pick(c["true_shares"], rng.random())
    bucket = pick(c["confusion"][o_true], rng.random()) if c["confusion"] else o_true
    options = c["buckets"][bucket]
    o = options[pick([x["fraction"] for x in options], rng.random())]
    system = scenario["systems"][o["system"]]
    # Difficulty and thinking follow the query's true bucket where the plan gives them per bucket.
    drawn = dict(o, **o["by_true"][o_true]) if o["by_true"] else o
    tokens = [draw_tokens(drawn, rng) for _ in range(o["samples"])]
    stats["sequences"] += len(tokens)
    stats["credit"] += credit(drawn, rng)
    arrival = env.now
    if system["api"]:
        yield env.timeout(system["ttft_s"] + max(tokens) / system["tokens_per_s"])
    else:
        pool = pools[o["system"]]
        if not pool.replicas:
            return
        done = {"left": len(tokens), "event": env.event(), "ttft": math.inf}
        for t in tokens:
            pool.submit((c["prompt_tokens"], t, done))
        yield done["event"]
    if o["verifier_s"] > 0:
        yield env.timeout(o["verifier_s"])
    stats["latency"] += env.now - arrival


def arrivals(env, scenario, pools, c, rng, stats, days):
    rate0 = c["daily_volume"] / 86400.0
    horizon = days * 86400.0
    hour = 0
    while hour * 3600.0 < horizon:
        rate = rate0 * (c["profile"][hour % 24] if c["profile"] else 1.0)
        end = min(horizon, (hour + 1) * 3600.0)
        t = hour * 3600.0
        while rate > 0:
            t += rng.expovariate(rate)
            if t >= end:
                break
            yield env.timeout(t - env.now)
            env.process(query(env, scenario, pools, c, rng, stats))
        if env.now < end:
            yield env.timeout(end - env.now)
        hour += 1


def simulate(scenario, days):
    rng = random.Random(42)
    env = simpy.Environment()
    pools = {i: Pool(env, s) for i, s in enumerate(scenario["systems"]) if not s["api"]}
    stats = {"sequences": 0, "credit": 0.0, "latency": 0.0}
    start, start_cpu = time.perf_counter(), time.process_time()
    for c in scenario["classes"]:
        env.process(arrivals(env, scenario, pools, c, rng, stats, days))
    env.run()
    return stats["sequences"], time.perf_counter() - start, time.process_time() - start_cpu


def main():
    scenario = json.load(open(sys.argv[1]))
    days = float(sys.argv[2])
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    runs = [simulate(scenario, days) for _ in range(repeats)]
    sequences = runs[-1][0]
    print(json.dumps({"days": days, "sequences": sequences, "repeats": repeats,
                      "wall_s": [r[1] for r in runs], "cpu_s": [r[2] for r in runs]}))


if __name__ == "__main__":
    main()
