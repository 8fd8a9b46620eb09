// `thinkplan ingest FILE...`: validate and store runs, per-problem results, perf runs and catalogues.
#include <nlohmann/json.hpp>

#include <ostream>

#include "cli/command.h"
#include "core/errors.h"
#include "pipeline/progress.h"
#include "store/database.h"

namespace thinkplan::cli {
namespace {

constexpr const char* kDescription =
    "Validate files of measured or published data and store them, each file in one transaction.\n\n"
    "A file holds one kind of record, detected from its header (CSV) or keys (JSON Lines):\n"
    "  runs      run_key, system, task_class, mode, samples, aggregation, n_problems, n_correct, ...\n"
    "  problems  run_key, problem_id, samples, correct[, output_tokens]  (per-problem results of a run)\n"
    "  perf      perf_key, hardware, model, phase, batch, context_len, step_ms | latency_s, ...\n"
    "  systems   system, vendor, compute knob[, undated prices incl. cached input][, the API fields of\n"
    "            system_apis, its source as api_source: stored as the system's API row, both or neither]\n"
    "  prices    system, effective_from, price_in/_cached_in/_out_usd_per_mtok  (a price change is a new row;\n"
    "            the latest row dated on or before today is the one cost and plan use)\n"
    "  hardware  hardware, hbm_gib, hbm_tb_per_s, bf16/fp8_dense_tflops, int8/int4_dense_tops, usd_per_hour,\n"
    "            same_part_as (the catalogue part a benchmark's card name is), note\n"
    "  models    model, params_total_b, layers, hidden, heads, kv_heads, weight_precision, kv_precision, ...\n"
    "  system_apis  system, api, api_model_id, thinking, knob, ... (how export-policy calls each system;\n"
    "            also how a self-hosted model, which has no systems row, is called)\n"
    "The catalogues (systems, prices, hardware, models, system_apis) are what cost, plan and simulate read;\n"
    "list them with thinkplan systems / hardware / models / classes.\n"
    "Field by field: docs/formats.md.\n\n"
    "Every row is checked before anything is kept; by default the first bad row rejects the whole file\n"
    "(with its file, line, field and value) and nothing of that file is stored. Re-ingesting a run with the\n"
    "same key and content is a no-op; the same key with different content is an error.\n"
    "Values no measurement can have are refused (token counts above 1e8 per sample, a zero budget in\n"
    "extended mode, a budget in fast mode, fractional counts in measured runs; docs/formats.md).\n"
    "Runs that name the same problem_set at the same setting are repeated samples of those problems; when two\n"
    "disagree beyond sampling noise (two-proportion test, 1% level) a warning says by how much.\n\n"
    "Examples:\n"
    "  thinkplan ingest data/published/runs.csv\n"
    "  thinkplan ingest --skip-invalid --rejects bad.csv my_runs.jsonl\n";

nlohmann::json SummaryJson(const store::IngestSummary& summary) {
  return {{"file", summary.file},           {"kind", store::ToString(summary.kind)},
          {"rows_read", summary.rows_read}, {"inserted", summary.inserted},
          {"unchanged", summary.unchanged}, {"rejected", summary.rejected},
          {"seconds", summary.seconds},    {"warnings", summary.warnings}};
}

}  // namespace

int RunIngest(Invocation& invocation) {
  cxxopts::Options options("thinkplan ingest", kDescription);
  options.custom_help("[OPTIONS]");
  options.positional_help("FILE...");
  AddGlobalOptions(options);
  options.add_options()
      ("kind", "record kind instead of detecting it: runs|problems|perf|systems|prices|hardware|models|system_apis",
       cxxopts::value<std::string>())
      ("skip-invalid", "store the valid rows and write rejected ones, with reasons, to the rejects file")
      ("rejects", "rejects file for --skip-invalid (default: FILE.rejects.csv)", cxxopts::value<std::string>())
      ("allow-extra", "ignore columns the format does not know instead of failing")
      ("files", "input files (CSV or JSON Lines)", cxxopts::value<std::vector<std::string>>());
  options.parse_positional({"files"});
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return 0;
  const auto& args = parsed.result;
  if (!args.count("files")) throw UsageError("no input file given (see thinkplan ingest --help)");
  const auto files = args["files"].as<std::vector<std::string>>();
  if (args.count("rejects") && files.size() > 1) {
    throw UsageError("--rejects names one file, but " + std::to_string(files.size()) + " inputs were given");
  }

  store::IngestOptions ingest;
  if (args.count("kind")) {
    const std::string kind = args["kind"].as<std::string>();
    ingest.kind = store::ParseRecordKind(kind);
    if (!ingest.kind) {
      throw UsageError("--kind '" + kind + "' is not one of runs|problems|perf|systems|prices|hardware|models|system_apis");
    }
  }
  ingest.skip_invalid = args.count("skip-invalid") > 0;
  ingest.allow_extra = args.count("allow-extra") > 0;
  if (args.count("rejects")) ingest.rejects_path = args["rejects"].as<std::string>();
  if (args.count("rejects") && !ingest.skip_invalid) throw UsageError("--rejects needs --skip-invalid");

  store::Database db = store::Database::Open(parsed.global.db_path);
  nlohmann::json reports = nlohmann::json::array();
  for (const std::string& file : files) {
    pipeline::Progress progress(invocation.err, file, 0,
                                !parsed.global.quiet && pipeline::Progress::StderrIsTerminal());
    ingest.progress = [&progress](std::size_t rows) { progress.Update(rows); };
    const store::IngestSummary summary = db.Ingest(file, ingest);
    progress.Finish();
    if (parsed.global.json) {
      reports.push_back(SummaryJson(summary));
    } else if (!parsed.global.quiet) {
      invocation.out << summary.BriefReport() << "\n";
    }
    if (!parsed.global.json) {
      for (const std::string& warning : summary.warnings) invocation.err << "warning: " << warning << "\n";
    }
  }
  if (parsed.global.json) invocation.out << reports.dump(2) << "\n";
  return 0;
}

}  // namespace thinkplan::cli
