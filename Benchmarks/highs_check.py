#!/usr/bin/env python3
"""Solves the models `bursar allocate --export-lp DIR` (or `bursar bench allocate --export-lp DIR`) wrote,
with HiGHS, and compares them with what Bursar's GLPK-based solver found (DIR/models.json).

- placement.lp: the whole placement MIP (every column). HiGHS solves it to --mip-gap (default 0.5%, the
  target) within --time-limit. Bursar's objective must be within 0.5% of optimal: of the best lower bound
  either solver proved, or of HiGHS's solution; Bursar's bound must not exceed any solution HiGHS found.
- alloc-*.lp: the allocation stage LPs Bursar solved. Objective and every column value must agree to 1e-6
  relative.

Prints one JSON object (HiGHS times, objectives, worst differences) on standard output, or writes it to
--output FILE, and exits 1 if a check fails. Whatever HiGHS itself prints (its banner, from highspy 1.16 on)
goes to standard error, so the output is always that JSON alone.
"""
import argparse
import json
import os
import sys
import time

import result_stream


def solve(highspy, path, mip_gap=None, time_limit=None):
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if mip_gap is not None:
        h.setOptionValue("mip_rel_gap", mip_gap)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    start = time.perf_counter()
    status = h.readModel(path)
    if status != highspy.HighsStatus.kOk and status != highspy.HighsStatus.kWarning:
        raise RuntimeError(f"HiGHS cannot read {path}")
    read = time.perf_counter() - start
    start = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - start
    info = h.getInfo()
    lp = h.getLp()
    names = list(lp.col_names_) if lp.col_names_ else []
    values = list(h.getSolution().col_value)
    status = h.modelStatusToString(h.getModelStatus())
    bound = getattr(info, "mip_dual_bound", None)
    return {
        "status": status,
        "objective": info.objective_function_value,
        "bound": bound,
        "seconds": seconds,
        "read_seconds": read,
        "values": dict(zip(names, values)),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--mip-gap", type=float, default=0.005)
    parser.add_argument("--time-limit", type=float, default=120)
    parser.add_argument("--output", default=None, help="write the JSON result here instead of standard output")
    args = parser.parse_args()
    # Before highspy is loaded: from here on anything printed on descriptor 1 goes to standard error.
    result = result_stream.claim(args.output)
    import highspy
    manifest = json.load(open(os.path.join(args.dir, "models.json")))
    failures = []
    out = {"highs_version": highspy.Highs().version()}

    placement_path = os.path.join(args.dir, "placement.lp")
    if os.path.exists(placement_path):
        ours = manifest["placement"]
        highs = solve(highspy, placement_path, mip_gap=args.mip_gap, time_limit=args.time_limit)
        optimum = highs["objective"]
        bound = highs["bound"] if highs["bound"] is not None else optimum
        ratio = ours["objective"] / optimum if optimum > 0 else (1.0 if abs(ours["objective"]) < 1e-9 else float("inf"))
        out["placement"] = {
            "highs_status": highs["status"], "highs_seconds": round(highs["seconds"], 3),
            "highs_objective": optimum, "highs_bound": bound,
            "bursar_objective": ours["objective"], "bursar_lower_bound": ours["lower_bound"],
            "bursar_seconds": round(ours["seconds"], 3), "bursar_over_highs": ratio,
        }
        # Within 0.5% of optimal: proven by the best lower bound either solver has (every bound is at most
        # the optimum), or by HiGHS's incumbent when it finished.
        best_bound = max(ours["lower_bound"], bound)
        proven_gap = (ours["objective"] - best_bound) / ours["objective"] if ours["objective"] > 0 else 0.0
        out["placement"]["proven_gap"] = proven_gap
        if proven_gap > 0.005 + 1e-9 and ratio > 1.005 + 1e-9:
            failures.append(f"placement: Bursar's objective {ours['objective']} is {100 * (ratio - 1):.3f}% above HiGHS's {optimum} "
                            f"and {100 * proven_gap:.3f}% above the best bound")
        if ours["lower_bound"] > optimum * (1 + 1e-6) + 1e-9:
            failures.append(f"placement: Bursar's bound {ours['lower_bound']} exceeds a solution HiGHS found ({optimum})")

    worst_objective = 0.0
    worst_value = 0.0
    highs_seconds = 0.0
    bursar_seconds = 0.0
    count = 0
    for model in manifest["models"]:
        if not model["file"].startswith("alloc-"):
            continue
        count += 1
        highs = solve(highspy, os.path.join(args.dir, model["file"]))
        highs_seconds += highs["seconds"]
        bursar_seconds += model["seconds"]
        if highs["status"] != "Optimal":
            failures.append(f"{model['file']}: HiGHS status {highs['status']}")
            continue
        difference = abs(highs["objective"] - model["objective"]) / max(1.0, abs(highs["objective"]))
        worst_objective = max(worst_objective, difference)
        for name, value in model["values"].items():
            theirs = highs["values"].get(name)
            if theirs is None:
                failures.append(f"{model['file']}: HiGHS has no column {name}")
                continue
            worst_value = max(worst_value, abs(theirs - value) / max(1.0, abs(theirs)))
    out["allocation"] = {
        "lps": count, "highs_seconds": round(highs_seconds, 3), "bursar_glpk_seconds": round(bursar_seconds, 3),
        "worst_objective_difference": worst_objective, "worst_value_difference": worst_value,
    }
    if worst_objective > 1e-6 or worst_value > 1e-6:
        failures.append(f"allocation: differs from HiGHS by {max(worst_objective, worst_value):.2e} relative (limit 1e-6)")
    out["failures"] = failures
    result.write(json.dumps(out, indent=1, sort_keys=True) + "\n")
    result.close()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
