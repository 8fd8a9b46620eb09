// `thinkplan measure`: the GPU measurement harness (or its CPU path) from the command line. Without a usable
// CUDA device it says so in one line and exits with code 2 (an input-class error: nothing was measured).
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "cli/command.h"
#include "core/atomic_file.h"
#include "core/errors.h"
#include "core/model_shape.h"
#include "store/database.h"
#include "gpu/measure.h"
#include "pipeline/cost_fit_stage.h"
#include "store/database.h"
#include "thinkplan_harness/json_output.h"

namespace thinkplan::cli {
namespace {

cxxopts::Options MeasureOptionsSpec() {
  cxxopts::Options options(
      "thinkplan measure",
      "Measure what decode steps and prefills cost on this machine's GPU: first the card's copy bandwidth and\n"
      "bf16 matrix rate, then the attention kernel against a float64 reference, then model shapes over a grid of\n"
      "batch sizes and context lengths. Writes perf.jsonl (for `thinkplan ingest`), ceilings.json and table.txt.\n"
      "Without a usable CUDA device it exits with code 2; --device cpu runs the same steps at small scale.\n\n"
      "Examples:\n"
      "  thinkplan measure --quick                   # a few minutes on an H100/H200\n"
      "  thinkplan measure --models Llama-3.1-8B --batches 1,8,64 --contexts 4K,32K\n"
      "  thinkplan measure --device cpu              # the same steps at small scale, no GPU\n"
      "  thinkplan ingest measured/perf.jsonl        # store what was measured\n"
      "  thinkplan measure --hardware H100-SXM-80GB --store   # measure, store and refit the serving rates\n\n"
      "--store ingests perf.jsonl into the database (--db) and refits the serving rates (`thinkplan fit --kind\n"
      "cost`), which `cost`, `plan` and `simulate` then use. Name the card as the hardware catalogue does\n"
      "(--hardware) so that the fit applies to it.\n");
  options.add_options()("device", "cuda (default) or cpu", cxxopts::value<std::string>()->default_value("cuda"),
                        "DEVICE");
  options.add_options()("store", "ingest what was measured into the database (--db) and refit the serving rates");
  for (const harness::ArgumentSpec& spec : harness::HarnessArguments()) {
    if (spec.value_name.empty()) {
      options.add_options()(std::string(spec.name), std::string(spec.help));
    } else {
      options.add_options()(std::string(spec.name), std::string(spec.help), cxxopts::value<std::string>(),
                            std::string(spec.value_name));
    }
  }
  AddGlobalOptions(options);
  return options;
}

const harness::ArgumentSpec* FindHarnessArgument(const std::string& name) {
  for (const harness::ArgumentSpec& spec : harness::HarnessArguments()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// The harness flags in the order given, --quick first so that the others refine it. On the CPU the defaults
// are already a quick grid, so --quick changes nothing there.
harness::HarnessOptions HarnessOptionsFrom(const cxxopts::ParseResult& result, gpu::Device device) {
  harness::HarnessOptions options = device == gpu::Device::kCpu ? gpu::CpuDefaults() : harness::HarnessOptions{};
  std::vector<std::pair<std::string, std::string>> given;
  for (const cxxopts::KeyValue& kv : result.arguments()) {
    const harness::ArgumentSpec* spec = FindHarnessArgument(kv.key());
    if (spec == nullptr) continue;
    if (kv.key() == "quick") {
      if (device == gpu::Device::kCuda) given.insert(given.begin(), {kv.key(), ""});
      continue;
    }
    given.emplace_back(kv.key(), spec->value_name.empty() ? "" : kv.value());  // switches read "true"
  }
  try {
    for (const auto& [name, value] : given) harness::ApplyArgument(&options, name, value);
  } catch (const harness::HarnessError& e) {
    throw UsageError(e.what());
  }
  return options;
}

// The stored model shapes (thinkplan models) as a catalogue file in the harness's columns, removed afterwards: the
// harness is a standalone library that reads shapes from a file, and the database is where the shapes live.
class ScopedShapeFile {
 public:
  explicit ScopedShapeFile(const std::filesystem::path& db_path)
      : path_(std::filesystem::temp_directory_path() / ("thinkplan-shapes-" + std::to_string(::getpid()) + ".csv")) {
    store::Database db = store::Database::Open(db_path);
    std::string text = "model,hf_id,params_total_b,params_active_b,layers,hidden,heads,kv_heads,head_dim,intermediate,vocab\n";
    for (const ModelShape& s : db.ListModelShapes()) {
      text += fmt::format("\"{}\",\"{}\",{},{},{},{},{},{},{},{},{}\n", s.name, s.hf_id, s.params_total / 1e9,
                          s.params_active / 1e9, s.layers, s.hidden, s.heads, s.kv_heads, s.head_dim, s.intermediate,
                          s.vocab);
    }
    WriteFileAtomically(path_, text);
  }
  ~ScopedShapeFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  ScopedShapeFile(const ScopedShapeFile&) = delete;
  ScopedShapeFile& operator=(const ScopedShapeFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Ingests the written records (all-or-nothing) and refits the serving rates from every stored perf run.
void StoreAndRefit(const std::string& perf_jsonl, const GlobalOptions& global, Invocation& invocation) {
  store::Database db = store::Database::Open(global.db_path);
  const store::IngestSummary ingested = db.Ingest(perf_jsonl);
  const pipeline::CostFitStageResult fitted =
      pipeline::CostFitStage(db, pipeline::LoadCostFitCatalogues(db));
  if (!global.quiet) {
    invocation.err << ingested.BriefReport() << "\n" << fitted.BriefReport() << " (thinkplan fit --kind cost lists them)\n";
  }
}

}  // namespace

int RunMeasure(Invocation& invocation) {
  cxxopts::Options spec = MeasureOptionsSpec();
  Parsed parsed = ParseCommandLine(spec, invocation);
  if (parsed.help_shown) return 0;
  const std::string device_text = parsed.result["device"].as<std::string>();
  const std::optional<gpu::Device> device = gpu::ParseDevice(device_text);
  if (!device) throw UsageError("--device '" + device_text + "': expected cuda or cpu");

  gpu::MeasureOptions options;
  options.device = *device;
  options.harness = HarnessOptionsFrom(parsed.result, *device);
  std::optional<ScopedShapeFile> stored_shapes;
  if (options.harness.catalogue_path.empty() && std::filesystem::exists(parsed.global.db_path)) {
    stored_shapes.emplace(parsed.global.db_path);
    options.harness.catalogue_path = stored_shapes->path().string();
  }
  const harness::HarnessSummary summary = gpu::Measure(options, parsed.global.quiet ? nullptr : &invocation.err);
  const std::string written = harness::WriteResults(summary, options.harness.output_dir);
  if (parsed.global.json) {
    invocation.out << harness::JsonObject()
                          .String("perf_jsonl", written)
                          .Integer("records", static_cast<long>(summary.records.size()))
                          .Bool("checks_passed", summary.ChecksPassed())
                          .Raw("summary", harness::CeilingsJson(summary))
                          .str()
                   << "\n";
  } else {
    invocation.out << summary.Table() << "wrote " << summary.records.size() << " perf records to " << written
                   << " (store them with: thinkplan ingest " << written << ")\n";
  }
  if (!summary.ChecksPassed()) {
    throw InternalError("a correctness check failed, so nothing was timed (see " + options.harness.output_dir +
                        "/ceilings.json)");
  }
  if (parsed.result.count("store")) StoreAndRefit(written, parsed.global, invocation);
  return 0;
}

}  // namespace thinkplan::cli
