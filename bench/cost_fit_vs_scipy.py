#!/usr/bin/python3
"""What `thinkplan fit --kind cost` does, redone with scipy.optimize.least_squares: per (hardware, framework,
devices) group of the Argonne e2e runs, fit (ln t0, ln F_eff, ln BW_eff) to log latency with a Cauchy loss of
scale 0.25 inside the same bounds, then the leave-one-batch-out refits. The roofline of docs/cost_model.md is
written out here with numpy (prefill, the closed-form sum over the growing decode context, KV waves, MoE weight
reads, llama.cpp's one sequence prefilled in passes of `batch` tokens, the bandwidth floor); runs of models
without a shape are skipped as thinkplan skips them. Prints the wall time and the leave-one-batch-out median and
p90 absolute % error over all groups, for comparison with the thinkplan side.

    cost_fit_vs_scipy.py DATA_DIR [REPEATS]
"""
import csv
import sys
import time
from collections import defaultdict

import numpy as np
from scipy.optimize import least_squares

GIB = 1024.0 ** 3
LOWER = np.log([1e-3, 1e-2, 1e-3])  # t0 [ms], F [TFLOP/s], BW [TB/s]
UPPER = np.log([1e4, 1e5, 1e3])
MIN_GROUP, MIN_TRAIN = 40, 12


def number(text, default=0.0):
    return float(text) if text.strip() else default


def load_shapes(path):
    shapes = {}
    for r in csv.DictReader(open(path)):
        s = dict(total=number(r["params_total_b"]) * 1e9, active=number(r["params_active_b"]) * 1e9,
                 layers=number(r["layers"]), heads=number(r["heads"]), kv_heads=number(r["kv_heads"]),
                 head_dim=number(r["head_dim"]), experts=number(r["n_experts"]), k=number(r["experts_per_token"]),
                 bytes=number(r["dtype_bytes"], 2), kv_bytes=number(r["kv_dtype_bytes"], 2))
        s["kv"] = number(r["kv_bytes_per_token"]) or 2 * s["layers"] * s["kv_heads"] * s["head_dim"] * s["kv_bytes"]
        s["attn"] = 4 * s["layers"] * s["heads"] * s["head_dim"]
        for name in (r["model"], r["hf_id"], r["hf_id"].split("/")[-1]):
            if name:
                shapes.setdefault(name.lower(), s)
    return shapes


def weight_read(s, tokens):
    if s["experts"] <= 0 or s["k"] <= 0:
        return s["total"] * s["bytes"] * np.ones_like(tokens)
    e, k = s["experts"], s["k"]
    expert = (s["total"] - s["active"]) / (e - k)
    shared = s["total"] - e * expert
    return (shared + e * (1 - (1 - k / e) ** tokens) * expert) * s["bytes"]


def series(c0, c1, lo, hi):  # sum over s = lo .. hi of c0 + c1 s (0 when hi < lo)
    n = np.maximum(hi - lo + 1, 0)
    return n * c0 + c1 * n * (lo + hi) / 2


def sum_max(a0, a1, b0, b1, first, n):  # sum over s = first .. first + n - 1 of max(a0 + a1 s, b0 + b1 s)
    last = first + n - 1
    d0, d1 = a0 - b0, a1 - b1
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = np.where(d1 != 0, -d0 / np.where(d1 != 0, d1, 1), 0)
    up = np.clip(np.ceil(cross), first, last + 1)  # d1 > 0: a wins from `up`
    down = np.clip(np.floor(cross), first - 1, last)  # d1 < 0: a wins up to `down`
    rising = series(b0, b1, first, up - 1) + series(a0, a1, up, last)
    falling = series(a0, a1, first, down) + series(b0, b1, down + 1, last)
    flat = np.where(d0 >= 0, series(a0, a1, first, last), series(b0, b1, first, last))
    return np.where(d1 > 0, rising, np.where(d1 < 0, falling, flat))


class Group:
    def __init__(self, runs, shapes, hbm_gib, devices, one_sequence):
        self.n = len(runs)
        col = lambda f: np.array([f(r) for r in runs], dtype=float)
        sh = [shapes[r["model"].lower()] for r in runs]
        self.batch = col(lambda r: r["batch"])
        self.length = col(lambda r: r["length"])
        self.latency = col(lambda r: r["latency"])
        self.total = np.array([s["total"] * s["bytes"] for s in sh])
        self.active = np.array([s["active"] for s in sh])
        self.kv = np.array([s["kv"] for s in sh])
        self.attn = np.array([s["attn"] for s in sh])
        self.one_sequence = one_sequence
        # Sequences per wave: the whole batch, or the fewest equal waves whose KV cache fits.
        seqs = np.ones(self.n) if one_sequence else self.batch.copy()
        waves = np.ones(self.n)
        if hbm_gib:
            hbm = hbm_gib * GIB * devices
            fits = np.floor((hbm - self.total - 0.1 * hbm) / (2 * self.length * self.kv))
            self.ok = fits >= 1
            waves = np.where(self.ok, np.ceil(seqs / np.maximum(fits, 1)), 1)
        else:
            self.ok = np.ones(self.n, bool)
        self.waves = waves
        self.per_wave = np.ceil(seqs / waves)
        chunk = np.where(one_sequence, np.minimum(self.batch, self.length), self.length)
        self.chunk = chunk
        self.read_prefill = np.array([weight_read(s, np.array([b * min(c, l)]))[0] for s, b, c, l in
                                      zip(sh, self.per_wave, chunk, self.length)])
        self.read_decode = np.array([weight_read(s, np.array([b]))[0] for s, b in zip(sh, self.per_wave)])
        self.passes = np.ceil(self.length / chunk)

    def predict(self, x, idx):
        t0, f, bw = np.exp(x[0]) * 1e-3, np.exp(x[1]) * 1e12, np.exp(x[2]) * 1e12
        b, l, kv, attn, act = self.per_wave[idx], self.length[idx], self.kv[idx], self.attn[idx], self.active[idx]
        chunk, passes = self.chunk[idx], self.passes[idx]
        # Prefill in passes of `chunk` tokens (equal passes: the Argonne lengths are multiples of the batches).
        prefill = np.zeros(len(idx))
        for p in range(int(passes.max())):
            live = p < passes
            start = p * chunk
            attended = chunk * start + chunk * chunk / 2
            comp = (b * chunk * 2 * act + b * attn * attended) / f
            mem = (self.read_prefill[idx] + b * (start + chunk) * kv) / bw
            prefill += np.where(live, t0 + np.maximum(comp, mem), 0)
        steps = l - 1
        decode = steps * t0 + sum_max(b * 2 * act / f, b * attn / f, self.read_decode[idx] / bw, b * kv / bw,
                                      l + 1, steps)
        return self.waves[idx] * (prefill + decode)

    def fit(self, idx):
        x0 = np.log([5.0, 100.0, 1.0])
        res = least_squares(lambda x: np.log(self.predict(x, idx)) - np.log(self.latency[idx]), x0,
                            bounds=(LOWER, UPPER), loss="cauchy", f_scale=0.25, method="trf")
        return res.x


def main():
    data = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    shapes = load_shapes(f"{data}/models/models.csv")
    accel = {r["hardware"]: r for r in csv.DictReader(open(f"{data}/models/accelerators.csv"))}
    groups = defaultdict(list)
    for r in csv.DictReader(open(f"{data}/public/argonne/perf.csv")):
        if r["phase"] != "e2e" or r["model"].lower() not in shapes:
            continue
        run = dict(model=r["model"], batch=int(r["batch"]), length=int(r["context_len"]),
                   latency=float(r["latency_s"]))
        # The bandwidth floor: faster than reading the active weights once per step at datasheet bandwidth.
        a = accel.get(r["hardware"])
        s = shapes[r["model"].lower()]
        if a and a["hbm_tb_per_s"]:
            floor = (run["length"] - 1) * s["total"] * s["bytes"] / (float(a["hbm_tb_per_s"]) * 1e12 * int(r["num_devices"]))
            if s["experts"] > 0:
                floor *= s["active"] / s["total"]
            if run["latency"] < floor:
                continue
        groups[(r["hardware"], r["framework"], int(r["num_devices"]))].append(run)
    times, apes = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        apes = []
        for (hardware, framework, devices), runs in sorted(groups.items()):
            a = accel.get(hardware)
            hbm = number(a["hbm_gib"]) if a else 0
            g = Group(runs, shapes, hbm, devices, framework == "llama.cpp")
            usable = np.nonzero(g.ok)[0]
            if len(usable) < MIN_GROUP:
                continue
            g.fit(usable)  # the stored fit
            for b in np.unique(g.batch[usable]):
                train, test = usable[g.batch[usable] != b], usable[g.batch[usable] == b]
                if len(train) < MIN_TRAIN:
                    continue
                pred = g.predict(g.fit(train), test)
                apes.extend(100 * np.abs(pred - g.latency[test]) / g.latency[test])
        times.append(time.perf_counter() - start)
    print(f"scipy least_squares: {len(apes)} held-out predictions, leave-one-batch-out median "
          f"{np.median(apes):.1f}%, p90 {np.percentile(apes, 90):.1f}%")
    print("scipy seconds: " + " ".join(f"{t:.3f}" for t in times))


if __name__ == "__main__":
    main()
