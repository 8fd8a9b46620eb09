#include "store/schema.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <array>
#include <string>

#include "core/errors.h"

namespace thinkplan::store {
namespace {

// Column names follow the interchange format (docs/formats.md) so that the file stays readable in the sqlite3
// shell; catalogue keys are called `name`. Empty optional text is stored as NULL. Ingestion is the one writer and
// validates every field before it writes, so the tables carry no CHECK constraints: repeating the rules there
// cost about 40% of the insert CPU time on a million runs (bench/ingest_vs_sqlite3.sh).
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE schema_version (
  version     INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE TABLE systems (
  name                   TEXT PRIMARY KEY NOT NULL,
  vendor                 TEXT,
  kind                   TEXT,
  params_total_b         REAL,
  params_active_b        REAL,
  open_weights           INTEGER,
  compute_knob           TEXT,
  knob_values            TEXT,
  price_in_usd_per_mtok  REAL,
  price_out_usd_per_mtok REAL,
  citation               TEXT
);
CREATE TABLE hardware (
  name              TEXT PRIMARY KEY NOT NULL,
  hbm_gib           REAL,
  hbm_tb_per_s      REAL,
  bf16_dense_tflops REAL,
  fp8_dense_tflops  REAL,
  usd_per_hour      REAL,
  citation          TEXT
);
CREATE TABLE task_classes (
  name        TEXT PRIMARY KEY NOT NULL,
  description TEXT
);
CREATE TABLE runs (
  run_key            TEXT PRIMARY KEY NOT NULL,
  source             TEXT NOT NULL,
  system             TEXT NOT NULL REFERENCES systems(name),
  hardware           TEXT REFERENCES hardware(name),
  task_class         TEXT NOT NULL REFERENCES task_classes(name),
  difficulty         TEXT,
  benchmark          TEXT,
  mode               TEXT NOT NULL,
  budget_tokens      REAL,
  effort             TEXT,
  samples            INTEGER NOT NULL,
  aggregation        TEXT NOT NULL,
  n_problems         INTEGER NOT NULL,
  n_correct          REAL NOT NULL,
  mean_output_tokens REAL,
  mean_input_tokens  REAL,
  latency_p50_s      REAL,
  latency_p95_s      REAL,
  gpu_seconds        REAL,
  cost_usd           REAL,
  citation           TEXT
);
CREATE TABLE problem_results (
  run_key       TEXT NOT NULL REFERENCES runs(run_key),
  problem_id    TEXT NOT NULL,
  samples       INTEGER NOT NULL,
  correct       REAL NOT NULL,
  output_tokens REAL,
  PRIMARY KEY (run_key, problem_id)
);
)sql";

constexpr std::string_view kVersion2 = R"sql(
CREATE TABLE perf_runs (
  perf_key          TEXT PRIMARY KEY NOT NULL,
  source            TEXT NOT NULL,
  hardware          TEXT NOT NULL REFERENCES hardware(name),
  num_devices       INTEGER NOT NULL,
  framework         TEXT,
  model             TEXT NOT NULL,
  params_b          REAL,
  active_params_b   REAL,
  layers            INTEGER,
  hidden            INTEGER,
  heads             INTEGER,
  kv_heads          INTEGER,
  head_dim          INTEGER,
  dtype             TEXT,
  phase             TEXT NOT NULL,
  batch             INTEGER NOT NULL,
  context_len       INTEGER NOT NULL,
  output_len        INTEGER,
  step_ms           REAL,
  latency_s         REAL,
  tokens_per_s      REAL,
  achieved_gb_per_s REAL,
  achieved_tflops   REAL,
  layer_scale       REAL,
  tool_version      TEXT,
  measured_at       TEXT,
  citation          TEXT
);
)sql";

// Append new steps at the end; never edit or reorder a released one.
// Version 3: what the later stages write. Parameter vectors are JSON arrays (full double precision) so that the
// file stays readable from the sqlite3 shell and other tools.
constexpr std::string_view kVersion3 = R"sql(
CREATE TABLE fits (
  id              INTEGER PRIMARY KEY,
  kind            TEXT NOT NULL,
  system          TEXT NOT NULL,
  task_class      TEXT NOT NULL,
  difficulty      TEXT NOT NULL DEFAULT '',
  form            TEXT NOT NULL,
  axis            TEXT NOT NULL DEFAULT '',
  params          TEXT NOT NULL,
  covariance      TEXT NOT NULL,
  status          TEXT NOT NULL,
  reason          TEXT NOT NULL,
  n_points        INTEGER NOT NULL,
  log_likelihood  REAL,
  deviance        REAL,
  aic             REAL,
  iterations      INTEGER,
  summary         TEXT NOT NULL,
  input_hash      TEXT NOT NULL,
  created_at      TEXT NOT NULL,
  UNIQUE (kind, system, task_class, difficulty)
);
CREATE TABLE workloads (
  hash        TEXT PRIMARY KEY NOT NULL,
  name        TEXT NOT NULL,
  body        TEXT NOT NULL,
  created_at  TEXT NOT NULL
);
CREATE TABLE plans (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  created_at     TEXT NOT NULL,
  workload_hash  TEXT NOT NULL REFERENCES workloads(hash),
  fits_hash      TEXT NOT NULL,
  base_plan_id   INTEGER REFERENCES plans(id),
  body           TEXT NOT NULL
);
CREATE TABLE simulations (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  plan_id     INTEGER NOT NULL REFERENCES plans(id),
  created_at  TEXT NOT NULL,
  seed        INTEGER NOT NULL,
  body        TEXT NOT NULL
);
CREATE INDEX simulations_by_plan ON simulations(plan_id);
)sql";

// Version 4: how each system is called (core/system_api.h, data/apis/system_apis.csv), kept apart from `systems`
// so that prices and API capabilities change independently.
constexpr std::string_view kVersion4 = R"sql(
CREATE TABLE system_apis (
  name              TEXT PRIMARY KEY NOT NULL,
  vendor            TEXT,
  api               TEXT NOT NULL,
  api_model_id      TEXT NOT NULL,
  thinking          TEXT NOT NULL,
  knob              TEXT NOT NULL,
  effort_values     TEXT,
  budget_min_tokens INTEGER,
  budget_max_tokens INTEGER,
  max_output_tokens INTEGER NOT NULL,
  n_max             INTEGER NOT NULL,
  reasoning_parser  TEXT,
  source            TEXT
);
)sql";

// Version 5: the rest of the catalogues the cost side reads (issue 14): model shapes with their precisions,
// integer peaks of the cards, and dated list prices. A price change is a new system_prices row; the price in force
// is the row with the latest effective_from (view current_prices), and the systems row keeps the prices its file
// stated for databases and files without dated rows.
constexpr std::string_view kVersion5 = R"sql(
CREATE TABLE model_shapes (
  name               TEXT PRIMARY KEY NOT NULL,
  hf_id              TEXT,
  params_total_b     REAL NOT NULL,
  params_active_b    REAL,
  layers             INTEGER NOT NULL,
  hidden             INTEGER NOT NULL,
  heads              INTEGER NOT NULL,
  kv_heads           INTEGER NOT NULL,
  head_dim           INTEGER,
  intermediate       INTEGER,
  vocab              INTEGER,
  n_experts          INTEGER,
  experts_per_token  INTEGER,
  weight_precision   TEXT NOT NULL,
  kv_precision       TEXT NOT NULL,
  kv_bytes_per_token REAL,
  citation           TEXT,
  note               TEXT
);
ALTER TABLE hardware ADD COLUMN int8_dense_tops REAL;
ALTER TABLE hardware ADD COLUMN int4_dense_tops REAL;
CREATE TABLE system_prices (
  system                       TEXT NOT NULL REFERENCES systems(name),
  effective_from               TEXT NOT NULL,
  price_in_usd_per_mtok        REAL NOT NULL,
  price_cached_in_usd_per_mtok REAL,
  price_out_usd_per_mtok       REAL NOT NULL,
  citation                     TEXT,
  PRIMARY KEY (system, effective_from)
);
CREATE VIEW current_prices AS
  SELECT p.* FROM system_prices p
  WHERE p.effective_from = (SELECT max(q.effective_from) FROM system_prices q WHERE q.system = p.system);
)sql";

// Sweeps (`thinkplan sweep`): what-if grids crossed with posterior draws of the fits, per plan. The body is the
// sweep's JSON (pipeline/sweep_stage.h SweepSummary::ToJson); the columns are what `sweep --list` searches and sorts.
// Self-contained (it only references plans) so that it can take whichever number is next when branches merge.
constexpr std::string_view kVersionSweeps = R"sql(
CREATE TABLE sweeps (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  plan_id     INTEGER NOT NULL REFERENCES plans(id),
  created_at  TEXT NOT NULL,
  seed        INTEGER NOT NULL,
  draws       INTEGER NOT NULL,
  scenarios   INTEGER NOT NULL,
  body        TEXT NOT NULL
);
CREATE INDEX sweeps_by_plan ON sweeps(plan_id);
)sql";


// Version 7: what a run measured beyond its output (the thinking / answer split) and which problems it scored, so
// that two reports of the same problems are combined as repeated samples (core/run.h CombineRepeatedRuns).
// Columns are appended: stored runs keep NULL, read as "not given".
constexpr std::string_view kVersion7 = R"sql(
ALTER TABLE runs ADD COLUMN problem_set TEXT;
ALTER TABLE runs ADD COLUMN mean_thinking_tokens REAL;
ALTER TABLE runs ADD COLUMN mean_answer_tokens REAL;
CREATE INDEX runs_by_problem_set ON runs(problem_set) WHERE problem_set IS NOT NULL;
)sql";

// Version 8: the accelerators perf runs name (e.g. Argonne's "Nvidia H100 GPU") are hardware rows like the
// catalogue's parts; `same_part_as` says which catalogue part one is, so that a serving-rate fit of its runs applies
// to systems that name that part, and `note` keeps the assumptions behind its datasheet figures.
constexpr std::string_view kVersion8 = R"sql(
ALTER TABLE hardware ADD COLUMN same_part_as TEXT;
ALTER TABLE hardware ADD COLUMN note TEXT;
)sql";

// Verifications (`thinkplan plan --verify`, the demo): which simulation checked a stored plan against its promise,
// whether it held, and in which round of the re-provisioning loop (pipeline/verify_stage.h). The body is the
// verification's JSON (per class planned and simulated p95, SLO misses; planned and simulated cost).
// Self-contained (it only references plans and simulations) so that it can take whichever number is next.
constexpr std::string_view kVersionVerifications = R"sql(
CREATE TABLE verifications (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  plan_id       INTEGER NOT NULL REFERENCES plans(id),
  simulation_id INTEGER NOT NULL REFERENCES simulations(id),
  created_at    TEXT NOT NULL,
  round         INTEGER NOT NULL,
  holds         INTEGER NOT NULL,
  body          TEXT NOT NULL
);
CREATE INDEX verifications_by_plan ON verifications(plan_id);
)sql";

// One systems catalogue (issue 14): the systems row gains its undated cached-input price (a dated system_prices
// row in force replaces it, as it replaces the other two), and the view system_catalogue shows each system once with
// its API row (system_apis, which a systems file can now fill in the same ingest) and the price row in force today
// (UTC; a row dated later is announced, not in force, as pipeline::ApplyPricesInForce reads it) beside it. The API rows stay a table of their own: a self-hosted model has an API row (how vLLM serves it) and no
// systems row. Self-contained (it only alters systems and reads tables that exist) so that it can take whichever
// number is next.
constexpr std::string_view kVersionSystemCatalogue = R"sql(
ALTER TABLE systems ADD COLUMN price_cached_in_usd_per_mtok REAL;
CREATE VIEW system_catalogue AS
  SELECT s.name, s.vendor, s.kind, s.open_weights, s.compute_knob,
         coalesce(p.price_in_usd_per_mtok, s.price_in_usd_per_mtok) AS price_in_usd_per_mtok,
         CASE WHEN p.system IS NULL THEN s.price_cached_in_usd_per_mtok ELSE p.price_cached_in_usd_per_mtok END
           AS price_cached_in_usd_per_mtok,
         coalesce(p.price_out_usd_per_mtok, s.price_out_usd_per_mtok) AS price_out_usd_per_mtok,
         p.effective_from AS price_effective_from,
         a.api, a.api_model_id, a.thinking, a.knob, a.effort_values, a.budget_min_tokens, a.budget_max_tokens,
         a.max_output_tokens, a.n_max, a.reasoning_parser
  FROM systems s
  LEFT JOIN system_prices p ON p.system = s.name AND p.effective_from = (
    SELECT max(q.effective_from) FROM system_prices q
    WHERE q.system = s.name AND substr(q.effective_from, 1, 10) <= date('now'))
  LEFT JOIN system_apis a ON a.name = s.name;
)sql";

// Version 11: beside each stored plan, the narrow forms its readers need, so that they do not read or parse the
// whole plan (a 100,000-class plan is 150 MB of JSON; docs/performance.md): of only the members the policy export
// reads (planner::PolicyPlanMembers / PolicyWorkloadMembers), `policy_plan` the plan's head as compact JSON,
// `policy_allocation` its allocation entries as JSON Lines (read one at a time), `policy_workload` the workload's
// as compact JSON; `summary`, compact JSON of the headline figures `thinkplan plans` shows. Written in the plan's
// transaction; a plan stored before this step has no row and its readers parse the plan as before. The small
// columns come first: SQLite reaches a column behind a long one by walking that one's chain of overflow pages, so
// the listing's summary and the policy's head are read without touching the allocation's tens of megabytes.
// Self-contained (it only references plans) so that it can take whichever number is next.
constexpr std::string_view kVersionPlanViews = R"sql(
CREATE TABLE plan_views (
  plan_id            INTEGER PRIMARY KEY NOT NULL REFERENCES plans(id),
  summary            TEXT NOT NULL,
  policy_plan        TEXT NOT NULL,
  policy_workload    TEXT NOT NULL,
  policy_allocation  TEXT NOT NULL
);
)sql";

constexpr std::array<Migration, 11> kMigrations = {{
    {1, "catalogues, runs and per-problem results", kVersion1},
    {2, "perf runs", kVersion2},
    {3, "fits, workloads, plans and simulations", kVersion3},
    {4, "system API catalogue", kVersion4},
    {5, "model shapes, integer peaks, dated prices", kVersion5},
    {6, "sweeps", kVersionSweeps},
    {7, "runs: problem set, thinking and answer tokens", kVersion7},
    {8, "hardware: same part as, note", kVersion8},
    {9, "verifications", kVersionVerifications},
    {10, "systems: cached-input price; view system_catalogue", kVersionSystemCatalogue},
    {11, "plan views: the policy's and the listing's narrow forms of each plan", kVersionPlanViews},
}};

}  // namespace

std::span<const Migration> Migrations() { return kMigrations; }

int LatestSchemaVersion() { return kMigrations.back().version; }

int ReadSchemaVersion(SQLite::Database& db, std::string_view display_name) {
  if (!db.tableExists("schema_version")) {
    SQLite::Statement count(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'");
    count.executeStep();
    if (count.getColumn(0).getInt64() > 0) {
      throw InputError(std::string(display_name) +
                       ": not a thinkplan database (it has tables but no schema_version table)");
    }
    return 0;
  }
  SQLite::Statement max(db, "SELECT coalesce(max(version), 0) FROM schema_version");
  max.executeStep();
  return max.getColumn(0).getInt();
}

void Migrate(SQLite::Database& db, std::string_view display_name) {
  const int latest = LatestSchemaVersion();
  const int found = ReadSchemaVersion(db, display_name);
  if (found > latest) {
    throw InputError(std::string(display_name) + ": database schema version " + std::to_string(found) +
                     " is newer than this build understands (" + std::to_string(latest) +
                     "); use a newer thinkplan");
  }
  for (const Migration& step : kMigrations) {
    if (found >= step.version) continue;
    SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
    // Another process may have applied the step while this one waited for the write lock.
    if (ReadSchemaVersion(db, display_name) >= step.version) continue;
    db.exec(std::string(step.sql));
    SQLite::Statement record(db, "INSERT INTO schema_version(version, description) VALUES (?, ?)");
    record.bind(1, step.version);
    record.bind(2, std::string(step.description));
    record.exec();
    transaction.commit();
  }
}

}  // namespace thinkplan::store
