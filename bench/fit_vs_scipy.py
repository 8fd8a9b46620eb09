#!/usr/bin/python3
"""The sequential sigmoid fits of bench_fit, redone with scipy.optimize.minimize on the same objective.

Same data, same start, same parametrisation (lo, gap, ln k, ln b50) with hi = lo + (1 - lo) gap, same bounds; the objective is the
binomial deviance sum 2 [y ln(y/np) + (n-y) ln((n-y)/(n(1-p)))] (what Ceres minimises as half the sum of squared
deviance residuals), minimised by L-BFGS-B with its exact gradient and tight tolerances. Prints the time per fit and
the largest relative parameter difference against bench_fit's results.

    fit_vs_scipy.py DATA.csv RESULTS.csv [MAX_FITS] [--json] [--verbose]
"""
import csv
import json
import sys
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, logit, xlogy


def sigmoid_parts(theta, x):
    lo = theta[0]
    g = theta[1]
    hi = lo + (1 - lo) * g
    k = np.exp(theta[2])
    s = expit(k * (x - theta[3]))
    p = lo + (hi - lo) * s
    # dp / d theta, chain rule through the same transforms as the C++ model
    dp_dlo = 1 - g * s
    dp_dg = (1 - lo) * s
    ds = s * (1 - s)
    grads = np.stack([dp_dlo,
                      dp_dg,
                      (hi - lo) * ds * (x - theta[3]) * k,
                      -(hi - lo) * ds * k])
    return p, grads


def deviance_and_gradient(theta, x, n, y):
    p, grads = sigmoid_parts(theta, x)
    p = np.clip(p, 1e-300, 1 - 1e-16)
    dev = 2 * np.sum(xlogy(y, y / (n * p)) + xlogy(n - y, (n - y) / (n * (1 - p))))
    dd_dp = 2 * (n * p - y) / (p * (1 - p))
    return dev, grads @ dd_dp


def main():
    data_path, results_path = sys.argv[1], sys.argv[2]
    max_fits = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3].isdigit() else 1000
    with open(data_path) as f:
        rows = list(csv.DictReader(f))[:max_fits]
    with open(results_path) as f:
        ceres = {int(r["fit"]): r for r in csv.DictReader(f)}

    worst = 0.0
    worst_fit = None
    differences = []
    elapsed = 0.0
    failures = 0
    deviance_gaps = []  # scipy's deviance minus thinkplan's, for the fits whose parameters differ by more than 1e-4
    for row in rows:
        x = np.log([float(row[f"tokens{j}"]) for j in range(8)])
        n = np.array([float(row[f"n{j}"]) for j in range(8)])
        y = np.array([float(row[f"correct{j}"]) for j in range(8)])
        lo, hi, k, b50 = (float(row[c]) for c in ("start_lo", "start_hi", "start_k", "start_b50"))
        lo = min(max(lo, 0.0), 1 - 1e-9)
        gap = min(max((hi - lo) / (1 - lo), 0.0), 1.0)
        start = np.array([lo, gap, np.log(k), np.log(b50)])
        bounds = [(0, 1 - 1e-9), (0, 1), (np.log(1e-2), np.log(1e2)), (x.min() - 10, x.max() + 10)]
        start = np.clip(start, [b[0] for b in bounds], [b[1] for b in bounds])
        t0 = time.perf_counter()
        result = minimize(deviance_and_gradient, start, args=(x, n, y), jac=True, method="L-BFGS-B", bounds=bounds,
                          options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 2000, "maxfun": 5000})
        elapsed += time.perf_counter() - t0
        failures += not result.success
        th = result.x
        natural = np.array([th[0], th[0] + (1 - th[0]) * th[1], np.exp(th[2]), np.exp(th[3])])
        c = ceres[int(row["fit"])]
        theirs = np.array([float(c[name]) for name in ("lo", "hi", "k", "b50")])
        rel = np.max(np.abs(natural - theirs) / np.maximum(np.abs(natural), 1e-300)) if np.any(natural != theirs) else 0.0
        differences.append(rel)
        if rel > 1e-4:
            deviance_gaps.append(result.fun - float(c["deviance"]))
            if "--verbose" in sys.argv:
                print(f"fit {row['fit']}: scipy {natural} dev {result.fun:.10g}; thinkplan {theirs} dev {c['deviance']}")
        if rel > worst:
            worst, worst_fit = rel, int(row["fit"])

    differences = np.array(differences)
    ceres_per_fit = float(next(iter(ceres.values()))["seconds_per_fit"])
    scipy_per_fit = elapsed / len(rows)
    if "--json" in sys.argv:  # one line for bench/fit_vs_scipy.sh, which alternates the sides over rounds
        print(json.dumps({"fits": len(rows), "failures": failures, "scipy_us_per_fit": 1e6 * scipy_per_fit,
                          "thinkplan_us_per_fit": 1e6 * ceres_per_fit, "worst_relative_difference": worst,
                          "median_relative_difference": float(np.median(differences)),
                          "share_within_1e-4": float(np.mean(differences <= 1e-4))}))
        return
    print(f"scipy:     {len(rows)} fits, {failures} not reported successful, {1e6 * scipy_per_fit:.1f} us per fit")
    print(f"thinkplan: {1e6 * ceres_per_fit:.2f} us per fit (from bench_fit)")
    print(f"ratio:     thinkplan is {scipy_per_fit / ceres_per_fit:.1f}x faster per fit")
    print(f"parameters (lo, hi, k, b50): largest relative difference {worst:.2e} (fit {worst_fit}); "
          f"median {np.median(differences):.2e}; share of fits within 1e-4: {np.mean(differences <= 1e-4):.4f}")
    if deviance_gaps:
        gaps = np.array(deviance_gaps)
        print(f"fits differing by more than 1e-4: {len(gaps)}; deviance scipy - thinkplan: min {gaps.min():.3g}, "
              f"max {gaps.max():.3g} (thinkplan lower in {np.sum(gaps > 1e-9)}, scipy lower in {np.sum(gaps < -1e-9)}, "
              f"equal to 1e-9 in {np.sum(np.abs(gaps) <= 1e-9)})")


if __name__ == "__main__":
    main()
