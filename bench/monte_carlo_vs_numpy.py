#!/usr/bin/python3
"""The Monte Carlo engine's model written the way a numpy user would write it, vectorised over problems, as the
anchor for bench_monte_carlo (bench/monte_carlo_vs_numpy.sh runs both, alternating).

The model (sim/monte_carlo_problem.h): each problem's difficulty p ~ Beta(a, b); k samples, each right with
probability p;
  pass@k   credit 1 when at least one sample is right;
  cons@k   each wrong sample gives the most common wrong answer with probability rho, else an answer of its own;
           the right answer must have the most votes, an m-way tie at the top earns 1/m;
  best@k   a right sample's verifier score is Normal(d', 1), a wrong one's Normal(0, 1); the top score decides.
Its strongest numpy form draws counts, not samples, wherever the distribution allows: the number right is
Binomial(k, p), the number of wrong samples on the top wrong answer Binomial(k - right, rho), and for best@k the
top score of m samples is Phi^-1(U^(1/m)) (+ d' for the right ones), so every case costs a few draws per problem
whatever k is. The same distribution as the engine's, so the accuracies agree to Monte Carlo error; the draws do
not (numpy's own generator, PCG64).

    monte_carlo_vs_numpy.py PROBLEMS REPEATS

Prints one JSON line per case: name, accuracy, problems per CPU-second of every repeat (process CPU time, one
thread: numpy's random draws and ufuncs run on the calling thread).
"""
import json
import sys
import time

import numpy as np
from scipy.special import ndtri

A, B = 0.4, 0.6  # bench_monte_carlo's difficulty distribution


def pass_at(rng, n, k):
    p = rng.beta(A, B, n)
    return (rng.binomial(k, p) > 0).mean()


def consensus(rng, n, k, rho):
    p = rng.beta(A, B, n)
    right = rng.binomial(k, p)
    top_wrong = rng.binomial(k - right, rho) if rho > 0 else np.zeros_like(right)
    singles = k - right - top_wrong
    most = np.maximum(right, top_wrong)
    most = np.where((singles > 0) & (most < 1), 1, most)
    wins = (right > 0) & (right == most)
    tied = 1 + (top_wrong == right) + np.where(right == 1, singles, 0)
    return np.where(wins, 1.0 / tied, 0.0).mean()


def best_of(rng, n, k, dprime):
    p = rng.beta(A, B, n)
    right = rng.binomial(k, p)
    wrong = k - right
    # The maximum of m standard normals is Phi^-1(U^(1/m)); a group with no member scores -inf.
    with np.errstate(divide="ignore"):
        top_right = np.where(right > 0, dprime + ndtri(rng.random(n) ** (1.0 / np.maximum(right, 1))), -np.inf)
        top_wrong = np.where(wrong > 0, ndtri(rng.random(n) ** (1.0 / np.maximum(wrong, 1))), -np.inf)
    return (top_right > top_wrong).mean()


CASES = [
    ("cons@64 (rho 0.5)", lambda rng, n: consensus(rng, n, 64, 0.5)),
    ("cons@256 (rho 0)", lambda rng, n: consensus(rng, n, 256, 0.0)),
    ("pass@64", lambda rng, n: pass_at(rng, n, 64)),
    ("best@16 (d'=1)", lambda rng, n: best_of(rng, n, 16, 1.0)),
]


def main():
    problems = int(sys.argv[1]) if len(sys.argv) > 1 else 400000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    rng = np.random.default_rng(42)
    for name, run in CASES:
        rates, accuracy = [], None
        for _ in range(repeats):
            start = time.process_time()
            accuracy = float(run(rng, problems))
            rates.append(problems / (time.process_time() - start))
        print(json.dumps({"name": name, "accuracy": accuracy, "problems_per_cpu_s": rates}))


if __name__ == "__main__":
    main()
