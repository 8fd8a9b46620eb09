#!/usr/bin/python3
"""Convert the shared source data into thinkplan's interchange format (docs/formats.md, docs/design.md section 2).

Usage:
  data/convert.py [SOURCE] [OUT]        write the converted files (defaults: ../shared/data and data/, both
                                        relative to the repository root)
  data/convert.py --check [SOURCE] [OUT] exit 0 when OUT holds exactly what conversion produces, else 1 with a
                                        summary of the differences

Python 3 standard library only. The output is a pure function of the source files: no clocks, no hash
ordering, numbers formatted the same way on every run, so re-running gives byte-identical files. The hand-written
README.md files beside the outputs explain every mapping and assumption made here.
"""

import argparse
import csv
import io
import json
import math
import re
import sys
from collections import Counter, OrderedDict, defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

RUN_FIELDS = [
    "run_key", "source", "system", "hardware", "task_class", "difficulty", "benchmark", "problem_set", "mode",
    "budget_tokens", "effort", "samples", "aggregation", "n_problems", "n_correct", "mean_output_tokens",
    "mean_input_tokens", "latency_p50_s", "latency_p95_s", "gpu_seconds", "cost_usd", "citation",
]
PROBLEM_FIELDS = ["run_key", "problem_id", "samples", "correct", "output_tokens"]
PERF_FIELDS = [
    "perf_key", "source", "hardware", "num_devices", "framework", "model", "params_b", "active_params_b",
    "layers", "hidden", "heads", "kv_heads", "head_dim", "dtype", "phase", "batch", "context_len", "output_len",
    "step_ms", "latency_s", "tokens_per_s", "achieved_gb_per_s", "achieved_tflops", "layer_scale",
    "tool_version", "measured_at", "citation",
]
# A systems row carries its API row (apis/system_apis.csv, maintained by hand) in these columns; `api_source` is
# that row's source.
SYSTEM_API_FIELDS = [
    "api", "api_model_id", "thinking", "knob", "effort_values", "budget_min_tokens", "budget_max_tokens",
    "max_output_tokens", "n_max", "reasoning_parser", "api_source",
]
SYSTEM_FIELDS = [
    "system", "vendor", "kind", "params_total_b", "params_active_b", "open_weights", "compute_knob",
    "knob_values", "price_in_usd_per_mtok", "price_out_usd_per_mtok", "citation",
] + SYSTEM_API_FIELDS
API_CATALOGUE = REPO_ROOT / "data/apis/system_apis.csv"
HARDWARE_FIELDS = [
    "hardware", "hbm_gib", "hbm_tb_per_s", "bf16_dense_tflops", "fp8_dense_tflops", "usd_per_hour", "citation",
]
PRICE_FIELDS = [
    "system", "effective_from", "price_in_usd_per_mtok", "price_cached_in_usd_per_mtok", "price_out_usd_per_mtok",
    "citation",
]

# Source files copied byte for byte (reference tables that are no ingest kind, and licence texts).
VERBATIM_COPIES = [
    ("published/coverage_fits.csv", "published/coverage_fits.csv"),
    ("published/training_scaling.csv", "published/training_scaling.csv"),
    ("published/model_training.csv", "published/model_training.csv"),
    ("public/argonne/LICENSE", "public/argonne/LICENSE"),
    ("public/routellm/LICENSE", "public/routellm/LICENSE"),
    ("public/epoch_effort/LICENSE_benchmark-stitching", "public/epoch_effort/LICENSE"),
    ("public/simple_evals_effort/LICENSE", "public/simple_evals_effort/LICENSE"),
    ("public/arc_agi_v1_effort/LICENSE", "public/arc_agi_v1_effort/LICENSE"),
    ("public/deepscaler_cap_sweep/LICENSE", "public/deepscaler_cap_sweep/LICENSE"),
    ("public/lrm_token_economy/LICENSE", "public/lrm_token_economy/LICENSE"),
]

LCB_SNAPSHOTS = ["2024-04", "2025-01"]
LCB_REPO = "https://github.com/LiveCodeBench/livecodebench.github.io"
DIFFICULTIES = ["easy", "medium", "hard"]
INTEGRAL_TOLERANCE = 1e-6
NEWLINE = b"\n"


class ConversionError(Exception):
    """A source file does not have the shape this converter relies on."""


class Notes:
    """Warnings and facts found while converting, printed at the end (and asserted where they must hold)."""

    def __init__(self):
        self.lines = []

    def add(self, text):
        self.lines.append(text)


# ---------------------------------------------------------------------------------------------------------------
# Small helpers


def fmt(value):
    """Decimal text for a number: integers without a point, floats rounded to 9 decimals to drop binary noise."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise ConversionError("boolean where a number was expected")
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ConversionError(f"non-finite number {value!r}")
    rounded = round(value, 9)
    if rounded == int(rounded):
        return str(int(rounded))
    return repr(rounded)


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(fields, rows):
    """CSV text (LF line ends, minimal quoting) for rows given as dicts; absent keys become empty cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        unknown = set(row) - set(fields)
        if unknown:
            raise ConversionError(f"internal: unknown output columns {sorted(unknown)}")
        writer.writerow([fmt(row.get(field)) for field in fields])
    return buffer.getvalue().encode("utf-8")


def slug(text):
    """A readable key fragment: the last path segment of a URL, else the text with runs of other characters as '-'."""
    match = re.match(r"https?://[^/]+(/.*)?$", text)
    if match:
        segments = [s for s in (match.group(1) or "").split("/") if s]
        text = segments[-1] if segments else text.split("/")[2]
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def integral(value, what, notes):
    """Round a count that must be whole; a value further than INTEGRAL_TOLERANCE from an integer is reported."""
    nearest = round(value)
    if abs(value - nearest) > INTEGRAL_TOLERANCE:
        notes.add(f"NOT INTEGRAL: {what} = {value!r}; kept as a fraction")
        return value
    return int(nearest)


def is_reasoning_system(name):
    """Systems that think before answering (extended mode): the o-series, QwQ, *Thinking, DeepSeek-R1 and distills."""
    return bool(re.match(r"(?i)^o\d", name) or name.startswith("QwQ") or "thinking" in name.lower()
                or name.startswith("DeepSeek-R1"))


def citation(base, *parts):
    extra = "; ".join(p for p in parts if p)
    return f"{base} ({extra})" if extra else base


# ---------------------------------------------------------------------------------------------------------------
# published/


# Catalogue rows that the shared source lacks, for systems of the public sets (same columns as the source's
# published/systems.csv). Prices are the vendor's launch list prices; "verified: no" says nobody here has
# re-checked them against the page since.
CLAUDE_BUDGET_KNOB = ("integer >= 1024 and < max_tokens; output limit {}; budget is a target not a strict limit")
EXTRA_SYSTEMS = [
    {"system": "Claude-Sonnet-4", "vendor": "Anthropic", "released": "2025-05-22", "kind": "reasoning",
     "params_total_b": "", "params_active_b": "", "open_weights": "no", "compute_knob": "thinking.budget_tokens",
     "knob_values": CLAUDE_BUDGET_KNOB.format(64000), "price_in_usd_per_mtok": "3.00",
     "price_out_usd_per_mtok": "15.00", "price_note": "thinking tokens billed as output", "verified": "no",
     "source": "https://www.anthropic.com/news/claude-4"},
    {"system": "Claude-Opus-4", "vendor": "Anthropic", "released": "2025-05-22", "kind": "reasoning",
     "params_total_b": "", "params_active_b": "", "open_weights": "no", "compute_knob": "thinking.budget_tokens",
     "knob_values": CLAUDE_BUDGET_KNOB.format(32000), "price_in_usd_per_mtok": "15.00",
     "price_out_usd_per_mtok": "75.00", "price_note": "thinking tokens billed as output", "verified": "no",
     "source": "https://www.anthropic.com/news/claude-4"},
    {"system": "DeepScaleR-1.5B-Preview", "vendor": "Agentica", "released": "2025-02-10", "kind": "reasoning",
     "params_total_b": "1.5", "params_active_b": "1.5", "open_weights": "yes", "compute_knob": "max_tokens",
     "knob_values": "hard cap on generated tokens (thinking and answer); a capped generation is cut off",
     "price_in_usd_per_mtok": "", "price_out_usd_per_mtok": "",
     "price_note": "self-hosted; fine-tune of DeepSeek-R1-Distill-Qwen-1.5B", "verified": "no",
     "source": "https://huggingface.co/agentica-org/DeepScaleR-1.5B-Preview"},
]


def api_rows_by_system():
    """The hand-maintained API catalogue by system; every shipped system must have a row."""
    return {r["system"]: r for r in read_csv(API_CATALOGUE)}


def api_columns(system, apis):
    api = apis.get(system)
    if api is None:
        raise ConversionError(f"system {system} has no row in apis/system_apis.csv: add one (its API, model id, knob)")
    return {field: api["source" if field == "api_source" else field] for field in SYSTEM_API_FIELDS}


def convert_systems(src):
    rows = []
    apis = api_rows_by_system()
    source_rows = read_csv(src / "published/systems.csv")
    clash = {r["system"] for r in source_rows} & {r["system"] for r in EXTRA_SYSTEMS}
    if clash:
        raise ConversionError(f"published/systems.csv now has {sorted(clash)}: drop them from EXTRA_SYSTEMS")
    for r in source_rows + EXTRA_SYSTEMS:
        rows.append({
            "system": r["system"], "vendor": r["vendor"], "kind": r["kind"],
            "params_total_b": r["params_total_b"], "params_active_b": r["params_active_b"],
            "open_weights": r["open_weights"], "compute_knob": r["compute_knob"], "knob_values": r["knob_values"],
            "price_in_usd_per_mtok": r["price_in_usd_per_mtok"],
            "price_out_usd_per_mtok": r["price_out_usd_per_mtok"],
            "citation": citation(r["source"], f"verified: {r['verified']}", r["price_note"],
                                 f"released {r['released']}" if r["released"] else ""),
            **api_columns(r["system"], apis),
        })
    return rows


# The price notes of published/systems.csv that state a later price or a cached-input price, e.g.
# "dropped to 2.00/8.00 on 2025-06-10", "cut to 1.10/4.40 around 2025-02-01", "cached input 0.55",
# "cache-hit input 0.14". Nothing else in a note is read as a price.
PRICE_CHANGE = re.compile(r"(?:cut|dropped) to (\d+(?:\.\d+)?)/(\d+(?:\.\d+)?) (around|on) (\d{4}-\d{2}-\d{2})")
CACHED_INPUT = re.compile(r"(?:cached input|cache-hit input) (\d+(?:\.\d+)?)")


def convert_prices(src):
    """Dated list prices: each priced system's launch price from its release date (with the cached-input price
    where the note gives one), and a new row for each later price its note states."""
    rows = []
    for r in read_csv(src / "published/systems.csv") + EXTRA_SYSTEMS:
        if not r["price_in_usd_per_mtok"] or not r["price_out_usd_per_mtok"]:
            continue
        parts = [f"verified: {r['verified']}", f"price note: {r['price_note']}"]
        cached = CACHED_INPUT.search(r["price_note"])
        rows.append({
            "system": r["system"], "effective_from": r["released"],
            "price_in_usd_per_mtok": r["price_in_usd_per_mtok"],
            "price_cached_in_usd_per_mtok": cached.group(1) if cached else "",
            "price_out_usd_per_mtok": r["price_out_usd_per_mtok"],
            "citation": citation(r["source"], *parts, "effective_from: the release date"),
        })
        for change in PRICE_CHANGE.finditer(r["price_note"]):
            price_in, price_out, exactness, date = change.groups()
            rows.append({
                "system": r["system"], "effective_from": date, "price_in_usd_per_mtok": price_in,
                "price_cached_in_usd_per_mtok": "", "price_out_usd_per_mtok": price_out,
                "citation": citation(r["source"], *parts, "effective_from: approximate, the note says 'around'"
                                     if exactness == "around" else "effective_from: as the note states"),
            })
    return rows


def convert_hardware(src):
    rows = []
    for r in read_csv(src / "published/hardware.csv"):
        rows.append({
            "hardware": r["hardware"], "hbm_gib": r["hbm_gib"], "hbm_tb_per_s": r["hbm_tb_per_s"],
            "bf16_dense_tflops": r["bf16_dense_tflops"], "fp8_dense_tflops": r["fp8_dense_tflops"],
            "usd_per_hour": r["usd_per_hour"],
            "citation": citation(r["source"], f"price: {r['price_note']}" if r["price_note"] else ""),
        })
    return rows


def task_class_for(benchmark):
    if benchmark.startswith("AIME-"):
        return "math-competition"
    if benchmark in ("MATH", "MATH-500"):
        return "math"
    if benchmark == "GPQA-Diamond":
        return "science-qa"
    if benchmark == "LiveCodeBench":
        return "code"
    if benchmark == "SWE-bench-Lite":
        return "code-repo"
    if benchmark.startswith("ARC-AGI-"):
        return "arc-agi"
    raise ConversionError(f"published/results.csv: no task class for benchmark {benchmark!r}")


def parse_aggregation(text, samples):
    """pass@1 / cons@k / pass@k as given; rerank@k and parallel@k (a learned scorer picks one of k) -> best@k."""
    match = re.fullmatch(r"(pass|cons|rerank|parallel)@(\d+)", text)
    if not match:
        raise ConversionError(f"published/results.csv: unknown aggregation {text!r}")
    kind, k = match.group(1), int(match.group(2))
    if kind in ("rerank", "parallel"):
        kind = "best"
    if k > 1 and k != samples:
        raise ConversionError(f"published/results.csv: {text} with samples {samples}")
    return f"{kind}@{k}"


def convert_published_results(src, notes):
    runs, left_out = [], []
    for line, r in enumerate(read_csv(src / "published/results.csv"), start=2):
        if not r["n_problems"]:
            left_out.append(f"line {line}: {r['system']} {r['benchmark']} {r['aggregation']} "
                            f"{r['accuracy_pct']}% (no n_problems)")
            continue
        samples = int(r["samples"])
        n_problems = int(r["n_problems"])
        knob = r["effort_or_budget"]
        budget = knob if re.fullmatch(r"\d+", knob) else ""
        effort = "" if budget else knob
        tokens = r["mean_output_tokens"]
        if tokens and r["benchmark"].startswith("ARC-AGI-"):
            # The ARC rows give tokens per task summed over all samples; the format wants tokens per sample.
            tokens = float(tokens) / samples
        aggregation = parse_aggregation(r["aggregation"], samples)
        runs.append({
            "run_key": ":".join(["pub", r["system"], r["benchmark"], knob or r["mode"], aggregation]),
            "source": "published", "system": r["system"], "task_class": task_class_for(r["benchmark"]),
            "benchmark": r["benchmark"], "mode": r["mode"], "budget_tokens": budget, "effort": effort,
            "samples": samples, "aggregation": aggregation, "n_problems": n_problems,
            "n_correct": float(r["accuracy_pct"]) / 100.0 * n_problems, "mean_output_tokens": tokens,
            "citation": citation(r["source"], f"verified: {r['verified']}", r["note"]),
            "_source_slug": slug(r["source"]),
        })
    disambiguate_keys(runs, notes)
    for line in left_out:
        notes.add(f"published/results.csv left out {line}")
    return runs


def disambiguate_keys(runs, notes):
    """Rows that share a key all get the source's slug appended (then an ordinal if the source is shared too)."""
    groups = defaultdict(list)
    for run in runs:
        groups[run["run_key"]].append(run)
    for key, members in groups.items():
        if len(members) > 1:
            for run in members:
                run["run_key"] = f"{key}:{run['_source_slug']}"
            counts = Counter(run["run_key"] for run in members)
            seen = Counter()
            for run in members:
                if counts[run["run_key"]] > 1:
                    seen[run["run_key"]] += 1
                    run["run_key"] = f"{run['run_key']}-{seen[run['run_key']]}"
            notes.add(f"published/results.csv: key {key} shared by {len(members)} rows -> "
                      + ", ".join(run["run_key"] for run in members))
    for run in runs:
        del run["_source_slug"]


# ---------------------------------------------------------------------------------------------------------------
# public/livecodebench


def parse_lcb_model(repr_name):
    """'O1-2024-12-17 (N=1) (High)' -> ('o1', 'high', 1); 'GPT-4-0613' -> ('GPT-4-0613', '', 10)."""
    name = repr_name
    samples = 10
    if re.search(r"\s*\([nN]=1\)", name):
        samples = 1
        name = re.sub(r"\s*\([nN]=1\)", "", name)
    effort = ""
    match = re.search(r"\s*\((Low|Med|High)\)$", name)
    if match:
        effort = {"Low": "low", "Med": "medium", "High": "high"}[match.group(1)]
        name = name[:match.start()]
    if name == "O1-2024-12-17":
        name = "o1"
    if "(" in name or ")" in name:
        raise ConversionError(f"livecodebench: unparsed marker in model name {repr_name!r}")
    return name, effort, samples


def lcb_link(link):
    # One entry of the 2025-01 model list carries a doubled scheme ("htthttps://"); the intended URL is plain.
    return re.sub(r"^htthttps://", "https://", link)


def convert_livecodebench(src, snapshot, notes):
    folder = src / "public/livecodebench"
    models = json.loads((folder / f"lcb_models_{snapshot}.json").read_text(encoding="utf-8"))
    rows = read_csv(folder / f"lcb_codegen_perproblem_{snapshot}.csv")
    by_model = defaultdict(list)
    for r in rows:
        by_model[r["model"]].append(r)
    unknown = set(by_model) - {m["model_repr"] for m in models}
    if unknown:
        raise ConversionError(f"livecodebench {snapshot}: models without an entry in the model list: {unknown}")

    runs, problems = [], []
    for model in models:
        system, effort, samples = parse_lcb_model(model["model_repr"])
        mode = "extended" if is_reasoning_system(system) else "fast"
        setting = f"{system}:{effort}" if effort else system
        for difficulty in DIFFICULTIES:
            key = f"lcb-{snapshot}:{setting}:{difficulty}"
            correct_sum = 0
            n_problems = 0
            for r in by_model[model["model_repr"]]:
                if r["difficulty"] != difficulty:
                    continue
                correct = integral(float(r["pass_at_1_pct"]) * samples / 100.0,
                                   f"livecodebench {snapshot} {model['model_repr']} {r['question_id']} correct", notes)
                correct_sum += correct
                n_problems += 1
                problems.append({"run_key": key, "problem_id": r["question_id"], "samples": samples,
                                 "correct": correct})
            if n_problems == 0:
                continue
            runs.append({
                "run_key": key, "source": "published", "system": system, "task_class": "code",
                "difficulty": difficulty, "benchmark": f"LiveCodeBench-{snapshot}", "mode": mode, "effort": effort,
                "samples": samples, "aggregation": "pass@1", "n_problems": n_problems,
                "n_correct": correct_sum / samples,
                "citation": f"LiveCodeBench code generation leaderboard, {snapshot} snapshot: {LCB_REPO} "
                            f"src/mocks/performances_generation.json; model {model['model_name']} "
                            f"({lcb_link(model['link'])}); {samples} sample(s) per problem",
            })
    return runs, problems


# ---------------------------------------------------------------------------------------------------------------
# public/routellm


def convert_routellm(src):
    rows = read_csv(src / "public/routellm/gsm8k_strong_weak_outcomes.csv")
    models = [("gpt-4-1106-preview", "gpt4_1106_correct", "strong"),
              ("Mixtral-8x7B-Instruct-v0.1", "mixtral_8x7b_correct", "weak")]
    runs, problems = [], []
    for system, column, role in models:
        key = f"routellm:GSM8K:{system}"
        n_correct = 0
        for r in rows:
            if r[column] not in ("True", "False"):
                raise ConversionError(f"routellm: {column} = {r[column]!r}")
            correct = 1 if r[column] == "True" else 0
            n_correct += correct
            problems.append({"run_key": key, "problem_id": r["prompt_sha1"], "samples": 1, "correct": correct})
        runs.append({
            "run_key": key, "source": "published", "system": system, "task_class": "math-school",
            "benchmark": "GSM8K", "mode": "fast", "samples": 1, "aggregation": "pass@1",
            "n_problems": len(rows), "n_correct": n_correct,
            "citation": f"https://github.com/lm-sys/RouteLLM routellm/evals/gsm8k (GSM8K test set, {role} model of "
                        "the routed pair; 8-shot prompt, temperature 0, max_tokens 1024 as in generate_responses.py)",
        })
    return runs, problems


# ---------------------------------------------------------------------------------------------------------------
# public/matharena


def parse_matharena_model(column):
    match = re.fullmatch(r"(.*) \((low|medium|high)\)", column)
    return (match.group(1), match.group(2)) if match else (column, "")


def matharena_number(text):
    return None if text in ("N/A", "") else float(text)


def convert_matharena(src, notes):
    folder = src / "public/matharena"
    accuracy = read_csv(folder / "aime2025I_per_problem_accuracy_4runs.csv")
    tokens = {r["metric"]: r for r in read_csv(folder / "aime2025I_model_tokens_prices.csv")}
    problem_rows = [r for r in accuracy if re.fullmatch(r"\d+", r["question"])]
    summary = {r["question"]: r for r in accuracy if r not in problem_rows}
    if len(problem_rows) != 15:
        raise ConversionError(f"matharena: expected 15 problems, found {len(problem_rows)}")
    samples = 4
    columns = [c for c in accuracy[0].keys() if c != "question"]
    runs, problems = [], []
    for column in columns:
        system, effort = parse_matharena_model(column)
        key = f"matharena:AIME-2025-I:{system}:{effort}" if effort else f"matharena:AIME-2025-I:{system}"
        n_correct = 0.0
        for r in problem_rows:
            pct = float(r[column])
            n_correct += pct / 100.0
            problems.append({"run_key": key, "problem_id": r["question"], "samples": samples,
                             "correct": integral(pct * samples / 100.0, f"matharena {column} problem "
                                                 f"{r['question']} correct", notes)})
        # Cross-checks against the file's own summary rows.
        if abs(n_correct / 15 * 100 - float(summary["Avg"][column])) > 1e-6:
            notes.add(f"matharena {column}: sum of problems {n_correct} disagrees with Avg {summary['Avg'][column]}")
        if abs(n_correct * 100 - float(tokens["Acc"][column])) > 1e-6:
            notes.add(f"matharena {column}: sum of problems {n_correct} disagrees with Acc {tokens['Acc'][column]}")
        tin = matharena_number(tokens["Input Tokens"][column])
        tout = matharena_number(tokens["Output Tokens"][column])
        pin = matharena_number(tokens["Input Cost"][column])
        pout = matharena_number(tokens["Output Cost"][column])
        cost = None
        if None not in (tin, tout, pin, pout):
            # The whole run: 4 samples of each of 15 problems at the listed USD per million tokens.
            cost = samples * 15 * (tin * pin + tout * pout) / 1e6
            listed = matharena_number(summary["Cost"][column].lstrip("$").rstrip("*"))
            if listed is None or abs(cost - listed) > 1e-6 * max(1.0, listed):
                notes.add(f"matharena {column}: computed cost {cost} differs from listed {summary['Cost'][column]}")
        prices = (f"USD per million tokens in {tokens['Input Cost'][column]}, out {tokens['Output Cost'][column]}"
                  if pin is not None else "no price listed")
        runs.append({
            "run_key": key, "source": "published", "system": system, "task_class": "math-competition",
            "benchmark": "AIME-2025-I", "mode": "extended" if is_reasoning_system(system) else "fast",
            "effort": effort, "samples": samples, "aggregation": "pass@1", "n_problems": 15, "n_correct": n_correct,
            "mean_input_tokens": tokens["Input Tokens"][column] if tin is not None else None,
            "mean_output_tokens": tokens["Output Tokens"][column] if tout is not None else None,
            "cost_usd": cost,
            "citation": f"MathArena, https://github.com/eth-sri/matharena.ai static/js/table_data.js and "
                        f"secondary.js: AIME 2025 I, model {column}, 4 runs per problem; {prices}",
        })
    return runs, problems


# ---------------------------------------------------------------------------------------------------------------
# public/deepseek_r1


DEEPSEEK_COLUMNS = [
    # column, benchmark, task class, aggregation, n_problems
    ("aime24_pass1", "AIME-2024", "math-competition", "pass@1", 30),
    ("aime24_cons64", "AIME-2024", "math-competition", "cons@64", 30),
    ("math500_pass1", "MATH-500", "math", "pass@1", 500),
    ("gpqa_diamond_pass1", "GPQA-Diamond", "science-qa", "pass@1", 198),
]


def convert_deepseek(src, notes):
    runs = []
    for r in read_csv(src / "public/deepseek_r1/distilled_eval.csv"):
        system = r["model"]
        for column, benchmark, task_class, aggregation, n_problems in DEEPSEEK_COLUMNS:
            pct = float(r[column])
            n_correct = pct / 100.0 * n_problems
            if aggregation.startswith("cons@") and abs(n_correct - round(n_correct)) > 0.02:
                notes.add(f"deepseek_r1 {system} {column} = {pct}% is not a whole number of {n_problems} problems "
                          f"({n_correct:.2f}); kept as given")
            runs.append({
                "run_key": f"dsr1:{system}:{benchmark}:{aggregation}", "source": "published", "system": system,
                "task_class": task_class, "benchmark": benchmark,
                "mode": "extended" if is_reasoning_system(system) else "fast", "samples": 64,
                "aggregation": aggregation, "n_problems": n_problems, "n_correct": n_correct,
                "citation": "https://github.com/deepseek-ai/DeepSeek-R1 README.md, Distilled Model Evaluation "
                            "(64 responses per query to estimate pass@1, temperature 0.6, top-p 0.95, "
                            "max 32768 tokens)",
            })
    return runs


# ---------------------------------------------------------------------------------------------------------------
# public/epoch_effort

EPOCH_REPO = "https://github.com/epoch-research/benchmark-stitching"
EPOCH_COMMIT = "f87d3cc"
# Epoch's model names -> the catalogue's (published/systems.csv). Configurations of any other model are left
# out: they are not in the catalogue (no price or compute knob), or a dated snapshot / preview of a catalogued
# model that may not behave like it (gpt-4o-2024-08-06, DeepSeek-R1-0528, gemini-2.5-pro-preview-*, ...).
EPOCH_SYSTEMS = {
    "o1-2024-12-17": "o1",
    "o1-mini-2024-09-12": "o1-mini",
    "o1-preview-2024-09-12": "o1-preview",
    "o3-2025-04-16": "o3",
    "o3-mini-2025-01-31": "o3-mini",
    "o4-mini-2025-04-16": "o4-mini",
    "gpt-4o-2024-05-13": "gpt-4o",
    "DeepSeek-R1": "DeepSeek-R1",
    "DeepSeek-R1-Distill-Qwen-14B": "DeepSeek-R1-Distill-Qwen-14B",
    "DeepSeek-R1-Distill-Llama-70B": "DeepSeek-R1-Distill-Llama-70B",
    "claude-3-7-sonnet-20250219": "Claude-3.7-Sonnet",
    "claude-sonnet-4-20250514": "Claude-Sonnet-4",
    "claude-opus-4-20250514": "Claude-Opus-4",
    "gemini-2.5-pro": "Gemini-2.5-Pro",
}
# benchmark -> (key fragment, benchmark name written, task class, difficulty, problems in the set, where the count
# comes from). The source gives accuracy only; n_problems is the size of the set Epoch ran.
EPOCH_BENCHMARKS = {
    "GPQA diamond": ("GPQA-Diamond", "GPQA-Diamond", "science-qa", "", 198, "GPQA Diamond has 198 questions"),
    "MATH level 5": ("MATH-L5", "MATH-Level-5", "math", "level 5", 1324,
                     "the level-5 problems of the MATH test set: 1,324"),
    "OTIS Mock AIME 2024-2025": ("OTIS-Mock-AIME", "OTIS-Mock-AIME-2024-2025", "math-competition", "", 45,
                                 "45 problems (3 mock AIME exams of 15)"),
    "FrontierMath-2025-02-28-Private": ("FrontierMath-T1-3-private", "FrontierMath-2025-02-28-Private",
                                        "math-research", "tiers 1-3", 290,
                                        "290 private problems; every listed accuracy is a multiple of 1/290 "
                                        "up to rounding or a mean over epochs"),
    "FrontierMath-Tier-4-2025-07-01-Private": ("FrontierMath-T4-private", "FrontierMath-Tier-4-2025-07-01-Private",
                                               "math-research", "tier 4", 48,
                                               "48 private problems; every listed accuracy is a multiple of 1/48"),
    "SWE-Bench verified": ("SWE-bench-Verified", "SWE-bench-Verified", "code-repo", "", 500,
                           "SWE-bench Verified has 500 tasks; accuracies that are not a multiple of 1/500 are means "
                           "over epochs"),
}
# Left out: FrontierMath's public splits. They are small sample sets whose size the file does not give (the
# Tier-4 one scores 0 in every run), and in the same (system, task class, difficulty) slice as the private sets
# they would put a second, much noisier point at each effort.
EPOCH_LEFT_OUT_BENCHMARKS = {"FrontierMath-2025-02-28-Public", "FrontierMath-Tier-4-2025-07-01-Public"}
EPOCH_EFFORTS = ("minimal", "low", "medium", "high", "xhigh")


def convert_epoch(src, notes):
    rows = read_csv(src / "public/epoch_effort/epoch_runs_accuracy.csv")
    runs, skipped_models, skipped_bench = [], Counter(), Counter()
    for r in rows:
        if r["status"] != "Success":
            raise ConversionError(f"epoch_effort: run {r['run_id']} has status {r['status']!r}")
        if r["benchmark"] in EPOCH_LEFT_OUT_BENCHMARKS:
            skipped_bench[r["benchmark"]] += 1
            continue
        if r["benchmark"] not in EPOCH_BENCHMARKS:
            raise ConversionError(f"epoch_effort: unknown benchmark {r['benchmark']!r}")
        system = EPOCH_SYSTEMS.get(r["base_model"])
        if system is None:
            skipped_models[r["base_model"]] += 1
            continue
        frag, benchmark, task_class, difficulty, n_problems, _ = EPOCH_BENCHMARKS[r["benchmark"]]
        effort, budget = "", ""
        if r["setting_kind"] == "reasoning_effort":
            if r["setting"] not in EPOCH_EFFORTS:
                raise ConversionError(f"epoch_effort: effort {r['setting']!r}")
            effort = r["setting"]
        elif r["setting_kind"] == "thinking_budget":
            match = re.fullmatch(r"(\d+)K", r["budget_label"])
            if not match:
                raise ConversionError(f"epoch_effort: budget label {r['budget_label']!r}")
            budget = int(match.group(1)) * 1000
        elif r["setting_kind"] != "none" or r["setting"] != "default":
            raise ConversionError(f"epoch_effort: setting {r['setting']!r} / {r['setting_kind']!r}")
        if system.startswith("Claude"):
            # Epoch's Claude name without a budget suffix is its default configuration: thinking off.
            mode = "extended" if budget else "fast"
        else:
            mode = "extended" if is_reasoning_system(system) or system.startswith("Gemini-2.5") else "fast"
        accuracy = float(r["accuracy"])
        setting = effort or (f"budget{budget}" if budget else "default")
        detail = [f"Epoch model {r['model_id']}", f"run {r['run_id']}", f"started {r['started_at']}",
                  f"task version {r['task_version']}", f"{r['scorer']} {r['score_rounded']} +- {r['stderr_rounded']}"]
        if budget:
            detail.append(f"thinking budget labelled {r['budget_label']}, read as {budget} tokens")
        if r["public_log"]:
            detail.append(f"log {r['public_log']}")
        runs.append({
            "run_key": f"epoch:{system}:{frag}:{setting}", "source": "published", "system": system,
            "task_class": task_class, "difficulty": difficulty, "benchmark": benchmark, "mode": mode,
            "budget_tokens": budget, "effort": effort, "samples": 1, "aggregation": "pass@1",
            "n_problems": n_problems, "n_correct": accuracy * n_problems,
            "citation": citation(f"Epoch AI benchmarking hub, {EPOCH_REPO} data/benchmarks_runs.csv @{EPOCH_COMMIT}",
                                 *detail),
            "_run_id": r["run_id"],
        })
    counts = Counter(run["run_key"] for run in runs)
    for run in runs:
        if counts[run["run_key"]] > 1:
            run["run_key"] = f"{run['run_key']}:{run['_run_id']}"
        del run["_run_id"]
    for bench, count in sorted(skipped_bench.items()):
        notes.add(f"epoch_effort: left out {count} runs of {bench} (public sample split, size not given)")
    notes.add(f"epoch_effort: left out {sum(skipped_models.values())} runs of {len(skipped_models)} models "
              f"not in the catalogue")
    return runs


# ---------------------------------------------------------------------------------------------------------------
# public/simple_evals_effort

SIMPLE_EVALS_REPO = "https://github.com/openai/simple-evals"
# benchmark -> (benchmark written, task class, n_problems, what the count is). DROP is left out: its score is an
# F1, not a share of problems answered correctly.
SIMPLE_EVALS_BENCHMARKS = {
    "GPQA": ("GPQA-Diamond", "science-qa", 198, "GPQA Diamond"),
    "MATH-500": ("MATH-500", "math", 500, "MATH-500"),
    "HumanEval": ("HumanEval", "code", 164, "HumanEval"),
    "MGSM": ("MGSM", "math-school", 2750, "250 problems in each of the 11 languages simple-evals runs; the score "
             "is their mean"),
    "MMLU": ("MMLU", "knowledge-qa", 14042, "the MMLU test set"),
    "SimpleQA": ("SimpleQA", "factual-qa", 4326, "SimpleQA"),
}
SIMPLE_EVALS_LEFT_OUT = {"DROP (F1, 3-shot)"}
SIMPLE_EVALS_SYSTEMS = {"o3", "o4-mini", "o3-mini", "o1", "o1-preview", "o1-mini"}


def convert_simple_evals(src, notes):
    runs, left_out = [], Counter()
    for r in read_csv(src / "public/simple_evals_effort/simple_evals_effort.csv"):
        if r["benchmark"] in SIMPLE_EVALS_LEFT_OUT:
            left_out[r["benchmark"]] += 1
            continue
        if r["benchmark"] not in SIMPLE_EVALS_BENCHMARKS or r["model"] not in SIMPLE_EVALS_SYSTEMS:
            raise ConversionError(f"simple_evals_effort: unknown benchmark or model {r['benchmark']!r} {r['model']!r}")
        benchmark, task_class, n_problems, _ = SIMPLE_EVALS_BENCHMARKS[r["benchmark"]]
        system = r["model"]
        effort = r["reasoning_effort"]
        note = r["effort_note"]
        if effort == "default":
            if system == "o1":
                effort = "medium"
                note = "README row o1 without effort; the API default for o1 is medium (published/systems.csv)"
            else:
                effort = ""  # o1-preview and o1-mini have no effort setting
        elif effort not in ("low", "medium", "high"):
            raise ConversionError(f"simple_evals_effort: effort {effort!r}")
        runs.append({
            "run_key": f"simple-evals:{system}:{benchmark}:{effort or 'default'}", "source": "published",
            "system": system, "task_class": task_class, "benchmark": benchmark, "mode": "extended",
            "effort": effort, "samples": 1, "aggregation": "pass@1", "n_problems": n_problems,
            "n_correct": float(r["score_pct"]) / 100.0 * n_problems,
            "citation": citation(f"{SIMPLE_EVALS_REPO} README.md @ee3b031, Benchmark Results table",
                                 f"row {r['readme_label']}", "reported by OpenAI for its own models", note),
        })
    for bench, count in sorted(left_out.items()):
        notes.add(f"simple_evals_effort: left out {count} rows of {bench} (F1 score, not an accuracy)")
    return runs


# ---------------------------------------------------------------------------------------------------------------
# public/arc_agi_v1_effort

ARC_REPO = "https://github.com/arcprize/arc-agi-benchmarking"
# ARC Prize's model names -> the catalogue's. Left out: o3-preview (a parallel 6 vs 1024-sample test, not in the
# catalogue; its semi-private figures with tokens are in published/runs.csv), DeepSeek-V3 and the Claude 3.x
# models (not in the catalogue).
ARC_SYSTEMS = {
    "o1-2024-12-17": "o1",
    "o1-mini-2024-09-12": "o1-mini",
    "o1-preview-2024-09-12": "o1-preview",
    "deepseek-r1": "DeepSeek-R1",
}


def convert_arc_agi_v1(src, notes):
    rows = read_csv(src / "public/arc_agi_v1_effort/arc_agi_v1_per_task.csv")
    runs, problems, by_run, left_out = [], [], OrderedDict(), Counter()
    for r in rows:
        system = ARC_SYSTEMS.get(r["model"])
        if system is None:
            left_out[r["model"]] += 1
            continue
        by_run.setdefault((system, r["model"], r["setting"], r["setting_kind"], r["source_run_dir"],
                           r["run_total_score"]), []).append(r)
    for (system, model, setting, kind, run_dir, total), tasks in by_run.items():
        if kind == "reasoning_effort":
            if setting not in ("low", "medium", "high"):
                raise ConversionError(f"arc_agi_v1_effort: effort {setting!r}")
            effort = setting
        elif kind == "none" and setting == "default":
            effort = ""
        else:
            raise ConversionError(f"arc_agi_v1_effort: setting {setting!r} / {kind!r}")
        key = f"arc1-eval:{system}:{effort or 'default'}"
        n_correct = 0.0
        for r in tasks:
            score = float(r["score"])
            if score not in (0.0, 0.5, 1.0):
                raise ConversionError(f"arc_agi_v1_effort: score {score!r} for {model} {r['task_id']}")
            n_correct += score
            problems.append({"run_key": key, "problem_id": r["task_id"], "samples": 1, "correct": score})
        if abs(n_correct - float(total)) > 1e-9:
            notes.add(f"arc_agi_v1_effort: {run_dir}: tasks sum to {n_correct:g}, the source's run total says "
                      f"{total}; the task sum is used")
        runs.append({
            "run_key": key, "source": "published", "system": system, "task_class": "arc-agi",
            "benchmark": "ARC-AGI-1-public-eval", "mode": "extended", "effort": effort, "samples": 1,
            "aggregation": "pass@1", "n_problems": len(tasks), "n_correct": n_correct,
            "citation": citation(f"ARC Prize, {ARC_REPO} results/{run_dir}/results.json @f9fc31a",
                                 f"model {model}", "one submission per task: 2 attempts per test pair, task score "
                                 "= share of its test pairs solved (0, 0.5 or 1)"),
        })
    for model, count in sorted(left_out.items()):
        notes.add(f"arc_agi_v1_effort: left out {count} task rows of {model} (not in the catalogue)")
    return runs, problems


# ---------------------------------------------------------------------------------------------------------------
# public/deepscaler_cap_sweep

DEEPSCALER_REPO = "https://github.com/bkubwimana/tegra_monitor"


def convert_deepscaler(src, notes):
    rows = read_csv(src / "public/deepscaler_cap_sweep/deepscaler_aime24_cap_sweep.csv")
    by_cap = OrderedDict()
    for r in rows:
        if (r["model"] != "agentica-org/DeepScaleR-1.5B-Preview" or r["n_samples"] != "1"
                or r["correct"] not in ("0", "1") or not r["benchmark"].startswith("AIME 2024")):
            raise ConversionError(f"deepscaler_cap_sweep: unexpected row {r['problem_id']} cap {r['max_tokens_cap']}")
        by_cap.setdefault(int(r["max_tokens_cap"]), []).append(r)
    runs, problems = [], []
    for cap, cells in by_cap.items():
        key = f"deepscaler:AIME-2024:cap{cap}"
        closed = sum(int(r["thinking_closed"]) for r in cells)
        for r in cells:
            problems.append({"run_key": key, "problem_id": f"AIME-2024-{r['problem_id']}", "samples": 1,
                             "correct": int(r["correct"])})
        temps = {(r["temperature"], r["top_p"]) for r in cells}
        if len(temps) != 1:
            raise ConversionError(f"deepscaler_cap_sweep: cap {cap} mixes sampling settings {temps}")
        temperature, top_p = temps.pop()
        runs.append({
            "run_key": key, "source": "published", "system": "DeepScaleR-1.5B-Preview",
            "task_class": "math-competition", "benchmark": "AIME-2024", "mode": "extended", "budget_tokens": cap,
            "samples": 1, "aggregation": "pass@1", "n_problems": len(cells),
            "n_correct": sum(int(r["correct"]) for r in cells),
            "citation": citation(f"{DEEPSCALER_REPO} eval/sweep_results/sweep_tokens_{cap} @b9d0fcb",
                                 f"max_tokens cap {cap} (a hard cap; each cap a separate generation)",
                                 f"temperature {temperature}, top-p {top_p}, 1 sample per problem",
                                 f"thinking closed in {closed} of {len(cells)}; the others were most likely cut "
                                 f"off at the cap"),
        })
    return runs, problems


# ---------------------------------------------------------------------------------------------------------------
# public/lrm_token_economy

LRM_REPO = "https://github.com/cpldcpu/LRMTokenEconomy"
# The study's configuration names -> the catalogue's. Left out: the other 18 configurations (not in the
# catalogue: Qwen3, GLM, Grok, Magistral, MiniMax, Nemotron, DeepHermes, gpt-oss, DeepSeek-R1-0528 and
# variants, Claude Opus 4.1).
LRM_SYSTEMS = {
    "claude-3-7-sonnet-20250219": "Claude-3.7-Sonnet",
    "claude-4-sonnet-0522-thinking": "Claude-Sonnet-4",
    "claude-opus-4": "Claude-Opus-4",
    "deepseek-r1": "DeepSeek-R1",
    "deepseek-r1-distill-qwen-7b": "DeepSeek-R1-Distill-Qwen-7B",
    "gemini-2.5-flash-high": "Gemini-2.5-Flash",
    "gemini-2.5-pro": "Gemini-2.5-Pro",
    "o1-mini": "o1-mini",
    "o3-mini-high": "o3-mini",
    "o4-mini-high-long": "o4-mini",
}
# The study's prompt type -> (key fragment, task class, difficulty). Prompts outside its V1 eval set have no
# type and are left out.
LRM_TYPES = {
    "Math": ("math", "math-competition", "AIME and modified AIME"),
    "logic puzzle": ("logic", "logic-puzzle", "modified classic puzzles"),
    "knowledge": ("knowledge", "knowledge-qa", "basic questions"),
}


def convert_lrm(src, notes):
    """The requested effort goes into citation, not `effort`: these are a few easy prompts, not a benchmark sample,
    and the fit's effort-to-token mapping pools every run of a system, class and effort whatever its difficulty,
    so an `effort` here would move other sets' effort runs to these prompts' token counts (README)."""
    rows = read_csv(src / "public/lrm_token_economy/lrm_token_economy_per_prompt.csv")
    groups, left_out_models, left_out_prompts = OrderedDict(), Counter(), 0
    for r in rows:
        system = LRM_SYSTEMS.get(r["model_name"])
        if system is None:
            left_out_models[r["model_name"]] += 1
            continue
        if not r["type"]:
            left_out_prompts += 1
            continue
        if r["type"] not in LRM_TYPES:
            raise ConversionError(f"lrm_token_economy: unknown prompt type {r['type']!r}")
        groups.setdefault((r["model_name"], system, r["type"]), []).append(r)
    runs, problems = [], []
    for (model, system, kind), prompts in groups.items():
        frag, task_class, difficulty = LRM_TYPES[kind]
        key = f"lrm:{system}:{frag}"
        settings = {(r["openrouter_model"], r["reasoning_effort_requested"], r["max_tokens"], r["temperature"])
                    for r in prompts}
        if len(settings) != 1:
            raise ConversionError(f"lrm_token_economy: {model} mixes settings {settings}")
        openrouter, effort, max_tokens, temperature = settings.pop()
        if effort not in ("", "low", "medium", "high"):
            raise ConversionError(f"lrm_token_economy: effort {effort!r}")
        n_correct, samples_total, tokens_total = 0.0, 0, 0.0
        sample_counts = Counter()
        for r in prompts:
            samples, correct = int(r["n_samples"]), int(r["n_correct"])
            tokens = float(r["mean_completion_tokens"])
            problems.append({"run_key": key, "problem_id": r["prompt_id"], "samples": samples, "correct": correct,
                             "output_tokens": tokens})
            n_correct += correct / samples
            samples_total += samples
            tokens_total += tokens * samples
            sample_counts[samples] += 1
        samples_mode = sample_counts.most_common(1)[0][0]
        runs.append({
            "run_key": key, "source": "published", "system": system, "task_class": task_class,
            "difficulty": difficulty, "benchmark": f"LRMTokenEconomy-{frag}", "mode": "extended",
            "effort": "", "samples": samples_mode, "aggregation": "pass@1", "n_problems": len(prompts),
            "n_correct": n_correct, "mean_output_tokens": tokens_total / samples_total,
            "citation": citation(f"LRMTokenEconomy, {LRM_REPO} data/detailed_evaluations_*.json @d5cc353",
                                 f"configuration {model} via OpenRouter {openrouter or '(model not listed)'}",
                                 f"reasoning effort requested {effort}" if effort else "",
                                 f"max_tokens {max_tokens}, temperature {temperature}",
                                 f"{samples_total} runs over {len(prompts)} prompts"
                                 + ("" if len(sample_counts) == 1 else
                                    f" ({', '.join(f'{c} prompts x {k}' for k, c in sorted(sample_counts.items()))})"),
                                 "correct = full rubric score (LLM-judged); tokens = billed completion tokens"),
        })
    notes.add(f"lrm_token_economy: left out {sum(left_out_models.values())} prompt rows of {len(left_out_models)} "
              f"configurations not in the catalogue, and {left_out_prompts} rows of prompts outside the V1 eval set")
    return runs, problems


# ---------------------------------------------------------------------------------------------------------------
# public/argonne


def convert_argonne(src, notes):
    rows = read_csv(src / "public/argonne/All_results.csv")
    perf = []
    for r in rows:
        key = ":".join(["argonne", r["Hardware"].replace(" ", "-"), r["Num of Hardware"] + "x", r["Framework"],
                        r["Model"], "io" + r["Input Output Length"], "b" + r["Batch Size"]])
        perf.append({
            "perf_key": key, "source": "published", "hardware": r["Hardware"],
            "num_devices": int(r["Num of Hardware"]), "framework": r["Framework"], "model": r["Model"],
            "phase": "e2e", "batch": int(r["Batch Size"]), "context_len": int(r["Input Output Length"]),
            "output_len": int(r["Input Output Length"]), "latency_s": r["Latency"], "tokens_per_s": r["Throughput"],
            "citation": "https://github.com/argonne-lcf/LLM-Inference-Bench Plots/All_results.csv",
        })
    counts = Counter(p["perf_key"] for p in perf)
    seen = Counter()
    duplicated = 0
    for p in perf:
        if counts[p["perf_key"]] > 1:
            seen[p["perf_key"]] += 1
            if seen[p["perf_key"]] == 1:
                duplicated += 1
            p["perf_key"] = f"{p['perf_key']}:r{seen[p['perf_key']]}"
    if duplicated:
        notes.add(f"argonne: {duplicated} configurations measured more than once "
                  f"({sum(c for c in counts.values() if c > 1)} rows); keys get :r1, :r2 in file order")
    return perf


# ---------------------------------------------------------------------------------------------------------------
# Validation of what is written, against the interchange rules (so a bad conversion fails here, not at ingest).


def validate(outputs_rows):
    runs_by_key = {}
    for path, kind, rows in outputs_rows:
        keys = Counter(r.get("run_key") or r.get("perf_key") or r.get("system") or r.get("hardware") for r in rows)
        if kind == "problems":
            keys = Counter((r["run_key"], r["problem_id"]) for r in rows)
        if kind == "prices":
            keys = Counter((r["system"], r["effective_from"]) for r in rows)
        dup = [k for k, c in keys.items() if c > 1]
        if dup:
            raise ConversionError(f"{path}: duplicate keys {dup[:5]}")
        for r in rows:
            where = f"{path}: {r.get('run_key') or r.get('perf_key') or r.get('system') or r.get('hardware')}"
            if kind == "runs":
                check_run(r, where)
                runs_by_key[r["run_key"]] = r
            elif kind == "problems":
                if r["run_key"] not in runs_by_key:
                    raise ConversionError(f"{where}: problem refers to an unknown run")
                if not (isinstance(r["samples"], int) and r["samples"] >= 1 and 0 <= r["correct"] <= r["samples"]):
                    raise ConversionError(f"{where}: bad samples/correct {r['samples']}/{r['correct']}")
            elif kind == "perf":
                if r["phase"] != "e2e" or float(r["latency_s"]) <= 0 or r["batch"] < 1 or r["context_len"] < 0:
                    raise ConversionError(f"{where}: bad perf row")
        if kind == "problems":
            check_problems_match_runs(path, rows, runs_by_key)


def check_problems_match_runs(path, rows, runs_by_key):
    """A run with per-problem rows must agree with them: same problem count, n_correct = sum correct / samples."""
    count, total = Counter(), defaultdict(float)
    for r in rows:
        count[r["run_key"]] += 1
        total[r["run_key"]] += r["correct"] / r["samples"]
    for key in count:
        run = runs_by_key[key]
        if count[key] != run["n_problems"] or abs(total[key] - float(run["n_correct"])) > 1e-6:
            raise ConversionError(f"{path}: problems of {key} ({count[key]}, {total[key]}) disagree with the run "
                                  f"({run['n_problems']}, {run['n_correct']})")


def check_run(r, where):
    for field in ("run_key", "source", "system", "task_class", "mode", "samples", "aggregation", "n_problems"):
        if r.get(field) in (None, ""):
            raise ConversionError(f"{where}: missing {field}")
    for field in ("samples", "n_problems"):
        if not isinstance(r[field], int) or r[field] < 1:
            raise ConversionError(f"{where}: {field} = {r[field]!r} is not an integer >= 1")
    if r["source"] not in ("measured", "published", "simulated") or r["mode"] not in ("fast", "extended"):
        raise ConversionError(f"{where}: bad source or mode")
    match = re.fullmatch(r"(pass|cons|best)@(\d+)", r["aggregation"])
    if not match or (int(match.group(2)) > 1 and int(match.group(2)) != r["samples"]):
        raise ConversionError(f"{where}: aggregation {r['aggregation']} with samples {r['samples']}")
    if not (0 <= float(r["n_correct"]) <= r["n_problems"]):
        raise ConversionError(f"{where}: n_correct {r['n_correct']} outside 0..{r['n_problems']}")


# ---------------------------------------------------------------------------------------------------------------
# Driver


def problem_set_of(run):
    """The problems a run scored, named from its benchmark (and difficulty slice): every shipped benchmark is a
    fixed set (AIME-2024's 30 problems, GPQA-Diamond's 198, a LiveCodeBench snapshot's problems of one difficulty),
    so two reports naming it score the same problems and thinkplan combines them as repeated samples of those
    problems rather than counting them twice."""
    if not run.get("benchmark"):
        return None
    return run["benchmark"] + (f"/{run['difficulty']}" if run.get("difficulty") else "")


def name_problem_sets(path, rows, sizes):
    """Fills problem_set; a set named with two different problem counts is an error (it would not be one set)."""
    for r in rows:
        name = problem_set_of(r)
        if name is None:
            continue
        r["problem_set"] = name
        seen = sizes.setdefault(name, (int(r["n_problems"]), path, r["run_key"]))
        if seen[0] != int(r["n_problems"]):
            raise ConversionError(f"{path}: run {r['run_key']} names problem set {name} with {r['n_problems']} "
                                  f"problems, but {seen[2]} ({seen[1]}) has {seen[0]}")


def build(src, notes):
    """Everything conversion writes, as OrderedDict relative path -> bytes."""
    outputs = OrderedDict()
    checked = []
    set_sizes = {}

    def emit(path, kind, fields, rows):
        if kind == "runs":
            name_problem_sets(path, rows, set_sizes)
        checked.append((path, kind, rows))
        outputs[path] = write_csv(fields, rows)

    emit("published/systems.csv", "systems", SYSTEM_FIELDS, convert_systems(src))
    emit("published/hardware.csv", "hardware", HARDWARE_FIELDS, convert_hardware(src))
    emit("published/prices.csv", "prices", PRICE_FIELDS, convert_prices(src))
    emit("published/runs.csv", "runs", RUN_FIELDS, convert_published_results(src, notes))
    for snapshot in LCB_SNAPSHOTS:
        runs, problems = convert_livecodebench(src, snapshot, notes)
        emit(f"public/livecodebench/runs_{snapshot}.csv", "runs", RUN_FIELDS, runs)
        emit(f"public/livecodebench/problems_{snapshot}.csv", "problems", PROBLEM_FIELDS, problems)
    runs, problems = convert_routellm(src)
    emit("public/routellm/runs.csv", "runs", RUN_FIELDS, runs)
    emit("public/routellm/problems.csv", "problems", PROBLEM_FIELDS, problems)
    runs, problems = convert_matharena(src, notes)
    emit("public/matharena/runs.csv", "runs", RUN_FIELDS, runs)
    emit("public/matharena/problems.csv", "problems", PROBLEM_FIELDS, problems)
    emit("public/deepseek_r1/runs.csv", "runs", RUN_FIELDS, convert_deepseek(src, notes))
    emit("public/epoch_effort/runs.csv", "runs", RUN_FIELDS, convert_epoch(src, notes))
    emit("public/simple_evals_effort/runs.csv", "runs", RUN_FIELDS, convert_simple_evals(src, notes))
    runs, problems = convert_arc_agi_v1(src, notes)
    emit("public/arc_agi_v1_effort/runs.csv", "runs", RUN_FIELDS, runs)
    emit("public/arc_agi_v1_effort/problems.csv", "problems", PROBLEM_FIELDS, problems)
    runs, problems = convert_deepscaler(src, notes)
    emit("public/deepscaler_cap_sweep/runs.csv", "runs", RUN_FIELDS, runs)
    emit("public/deepscaler_cap_sweep/problems.csv", "problems", PROBLEM_FIELDS, problems)
    runs, problems = convert_lrm(src, notes)
    emit("public/lrm_token_economy/runs.csv", "runs", RUN_FIELDS, runs)
    emit("public/lrm_token_economy/problems.csv", "problems", PROBLEM_FIELDS, problems)
    emit("public/argonne/perf.csv", "perf", PERF_FIELDS, convert_argonne(src, notes))
    validate(checked)
    outputs["demo_manifest.txt"] = demo_manifest(with_api_catalogue([path for path, _, _ in checked]))
    for source_path, out_path in VERBATIM_COPIES:
        outputs[out_path] = (src / source_path).read_bytes()
    return outputs


def with_api_catalogue(paths):
    """The hand-maintained catalogues (apis/system_apis.csv, models/models.csv, models/accelerators.csv: the cards
    the perf runs name, as hardware rows) go in after the converted ones."""
    at = paths.index("published/prices.csv") + 1
    return paths[:at] + ["apis/system_apis.csv", "models/models.csv", "models/accelerators.csv"] + paths[at:]


def demo_manifest(paths):
    """The ingest order `thinkplan demo` reads: catalogues, then each set's runs before their problems."""
    lines = ["# Shipped data in ingest order, one path per line relative to data/ ('#' starts a comment).",
             "# Written by data/convert.py; the reference tables in published/ (coverage_fits, training_scaling,",
             "# model_training) are no ingest kind and are not listed."]
    return ("\n".join(lines + paths) + "\n").encode("utf-8")


def first_difference(old, new):
    old_lines, new_lines = old.split(b"\n"), new.split(b"\n")
    for number, (a, b) in enumerate(zip(old_lines, new_lines), start=1):
        if a != b:
            return f"first difference at line {number}"
    return f"{len(old_lines)} lines on disk, {len(new_lines)} expected"


def check(outputs, out):
    problems = []
    for path, content in outputs.items():
        target = out / path
        if not target.exists():
            problems.append(f"missing   {path}")
        elif target.read_bytes() != content:
            problems.append(f"differs   {path}: {first_difference(target.read_bytes(), content)}")
    # Files in the converted folders that conversion does not produce (hand-written READMEs are expected).
    folders = {(out / path).parent for path in outputs}
    for folder in sorted(folders):
        if folder.is_dir() and folder != out:  # the root also holds convert.py and others' folders
            for item in sorted(folder.iterdir()):
                rel = item.relative_to(out).as_posix()
                if item.is_file() and rel not in outputs and item.name != "README.md":
                    problems.append(f"unexpected {rel}")
        if not (folder / "README.md").is_file():
            problems.append(f"no README {(folder / 'README.md').relative_to(out).as_posix()}")
    return problems


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", default=str(REPO_ROOT / ".." / "shared" / "data"),
                        help="folder with published/ and public/ (default: ../shared/data from the repository root)")
    parser.add_argument("out", nargs="?", default=str(REPO_ROOT / "data"),
                        help="output folder (default: data/ in the repository root)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the output folder differs from what conversion produces")
    parser.add_argument("--quiet", action="store_true", help="print only errors and differences")
    args = parser.parse_args(argv)
    src, out = Path(args.source), Path(args.out)

    notes = Notes()
    try:
        outputs = build(src, notes)
    except (ConversionError, OSError, KeyError, ValueError) as error:
        print(f"convert.py: error: {error}", file=sys.stderr)
        return 2

    if args.check:
        problems = check(outputs, out)
        if problems:
            print(f"convert.py --check: {len(problems)} difference(s) between {out} and the conversion of {src}:")
            for line in problems:
                print(f"  {line}")
            print("Re-run data/convert.py (and write any missing README) and commit the result.")
            return 1
        if not args.quiet:
            print(f"convert.py --check: {len(outputs)} files match the conversion of {src}")
        return 0

    for path, content in outputs.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != content:
            target.write_bytes(content)
    if not args.quiet:
        for path, content in outputs.items():
            if path.endswith(".csv"):
                rows = content.count(NEWLINE) - 1
                print(f"{rows:8d} rows  {path}")
            else:
                print(f"    copy      {path}")
        for line in notes.lines:
            print(f"note: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
