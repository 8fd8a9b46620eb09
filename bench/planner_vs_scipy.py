#!/usr/bin/python3
"""The LP that bench_planner solves by hull-walking, solved again with scipy.optimize.linprog (HiGHS).

    maximise   sum_i volume_i value_i sum_j a_ij x_ij
    subject to sum_i volume_i sum_j c_ij x_ij <= budget,   sum_j x_ij = 1 for every class i,   x >= 0

Reads the LP file bench_planner wrote (line 1: classes options budget; per class "volume value" then one
"cost accuracy" line per option). Times linprog alone (the matrices are built beforehand) with one of HiGHS'
methods, REPEAT solves, and prints a JSON line with the optimum and every solve's time.

    planner_vs_scipy.py LP_FILE [METHOD] [REPEAT]

METHOD: highs-ipm (interior point, the fastest on this LP: about a second for 1,000 x 200), highs-ds (dual
simplex, about a minute) or highs (HiGHS chooses). Default highs-ipm, REPEAT 1.
"""
import json
import sys
import time

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix


def read_lp(path):
    with open(path) as f:
        classes, options, budget = f.readline().split()
        classes, options, budget = int(classes), int(options), float(budget)
        rows = np.loadtxt(f)
    rows = rows.reshape(classes, options + 1, 2)
    volume, value = rows[:, 0, 0], rows[:, 0, 1]
    cost, accuracy = rows[:, 1:, 0], rows[:, 1:, 1]
    return volume, value, cost, accuracy, budget


def main():
    path = sys.argv[1]
    method = sys.argv[2] if len(sys.argv) > 2 else "highs-ipm"
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    volume, value, cost, accuracy, budget = read_lp(path)
    classes, options = cost.shape
    # linprog minimises: negate the objective.
    c = -(volume * value)[:, None] * accuracy
    a_ub = (volume[:, None] * cost).reshape(1, -1)
    columns = np.arange(classes * options)
    a_eq = csr_matrix((np.ones(classes * options), (columns // options, columns)), shape=(classes, classes * options))
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = linprog(c.ravel(), A_ub=a_ub, b_ub=[budget], A_eq=a_eq, b_eq=np.ones(classes), bounds=(0, None),
                         method=method, options={"primal_feasibility_tolerance": 1e-10,
                                                 "dual_feasibility_tolerance": 1e-10})
        times.append((time.perf_counter() - start) * 1e3)
    if result.status != 0:
        print(json.dumps({"status": result.status, "message": result.message}))
        sys.exit(3)
    print(json.dumps({"method": method, "objective": -result.fun, "times_ms": times, "best_ms": min(times),
                      "variables": classes * options, "constraints": classes + 1}))


if __name__ == "__main__":
    main()
