// The cost-model fit: recovery of known rates from synthetic runs, the Argonne loader in both formats, and the
// held-out validation on the 4,771 Argonne LLM-Inference-Bench runs (by batch size and by sequence length).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <iostream>
#include <random>

#include <fmt/format.h>

#include "tests/common/test_support.h"
#include "core/errors.h"
#include "fitting/cost_fit.h"
#include "store/database.h"

namespace thinkplan::fitting {
namespace {

std::filesystem::path ArgonnePath() {
  const std::filesystem::path converted = testing::DataDir() / "public" / "argonne" / "perf.csv";
  if (std::filesystem::exists(converted)) return converted;
  return testing::SharedDataDir() / "public" / "argonne" / "All_results.csv";
}

ModelCatalogue Catalogue() { return ModelCatalogue::Load(testing::DataDir() / "models" / "models.csv"); }

// The Argonne cards as `thinkplan fit --kind cost` reads them: the shipped accelerators file ingested, the stored
// hardware rows read back.
std::map<std::string, AcceleratorSpec> StoredAccelerators() {
  testing::ScratchDir dir("thinkplan-cost-fit-cards");
  store::Database db = store::Database::Open(dir / "cards.db");
  db.Ingest(testing::DataDir() / "models" / "accelerators.csv");
  return AcceleratorSpecsOf(db.ListHardware());
}

// Synthetic e2e runs of three dense models at every batch and length, latencies from `rates` with 2% noise.
std::vector<PerfRun> SyntheticRuns(const ServingRates& rates, const std::string& framework,
                                   const std::vector<long>& batches, unsigned seed) {
  const ModelCatalogue catalogue = Catalogue();
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 0.02);
  std::vector<PerfRun> runs;
  for (const char* model : {"meta-llama/Llama-2-7b-hf", "meta-llama/Meta-Llama-3-8B", "Qwen/Qwen2-7B"}) {
    for (long batch : batches) {
      for (long length : {128, 256, 512, 1024, 2048}) {
        PerfRun run;
        run.perf_key = fmt::format("{}:{}:{}", model, batch, length);
        run.hardware = "synthetic";
        run.framework = framework;
        run.model = model;
        run.phase = PerfPhase::kEndToEnd;
        run.batch = batch;
        run.context_len = run.output_len = length;
        run.latency_s = *PredictLatency(run, catalogue, rates, CostFitOptions{}) * std::exp(noise(rng));
        runs.push_back(run);
      }
    }
  }
  return runs;
}

ServingRates H100LikeRates() {
  ServingRates truth;
  truth.t0_s = 0.004;
  truth.flops_per_s = 300e12;
  truth.bytes_per_s = 2.2e12;
  truth.hbm_bytes = 80 * 1073741824.0;
  truth.reserve_bytes = 0.1 * truth.hbm_bytes;
  return truth;
}

// End-to-end runs of `framework` on `num_devices` devices for every model, batch and length given, their latency
// predicted from `truth` and multiplied by 2% log-normal measurement noise drawn from a generator seeded `seed`.
std::vector<PerfRun> SyntheticRuns(const ModelCatalogue& catalogue, const ServingRates& truth, const char* framework,
                                   long num_devices, std::initializer_list<const char*> models,
                                   std::initializer_list<long> batches, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 0.02);
  std::vector<PerfRun> runs;
  for (const char* model : models) {
    for (long batch : batches) {
      for (long length : {128, 256, 512, 1024, 2048}) {
        PerfRun run;
        run.hardware = "synthetic";
        run.framework = framework;
        run.model = model;
        run.phase = PerfPhase::kEndToEnd;
        run.num_devices = num_devices;
        run.batch = batch;
        run.context_len = run.output_len = length;
        const std::optional<double> latency = PredictLatency(run, catalogue, truth, CostFitOptions{});
        BOOST_REQUIRE(latency.has_value());
        run.latency_s = *latency * std::exp(noise(rng));
        runs.push_back(run);
      }
    }
  }
  return runs;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cost_fit)

BOOST_AUTO_TEST_CASE(quantile_interpolates) {
  BOOST_TEST(Quantile({3, 1, 2}, 0.5) == 2.0);
  BOOST_TEST(Quantile({1, 2, 3, 4}, 0.5) == 2.5);
  BOOST_TEST(Quantile({0, 10}, 0.9) == 9.0);
  BOOST_CHECK_THROW(Quantile({}, 0.5), InternalError);
}

BOOST_AUTO_TEST_CASE(recovers_known_rates_from_noisy_synthetic_runs) {
  const ModelCatalogue catalogue = Catalogue();
  const ServingRates truth = H100LikeRates();
  CostFitOptions options;
  // 2% log-normal measurement noise: median |N(0, 0.02)| = 1.35%.
  const std::vector<PerfRun> runs =
      SyntheticRuns(catalogue, truth, "test", 1,
                    {"meta-llama/Llama-2-7b-hf", "meta-llama/Meta-Llama-3-8B", "Qwen/Qwen2-7B"},
                    {1, 16, 32, 64, 128, 256}, 11);
  const CostFitSummary fit = FitServingRates(runs, catalogue, 80.0, options);
  BOOST_TEST_MESSAGE(fit.FullReport());
  BOOST_TEST(fit.converged);
  BOOST_TEST(fit.rows_used == runs.size());
  BOOST_TEST(fit.t0_s == truth.t0_s, boost::test_tools::tolerance(0.05));
  BOOST_TEST(fit.flops_per_s == truth.flops_per_s, boost::test_tools::tolerance(0.05));
  BOOST_TEST(fit.bytes_per_s == truth.bytes_per_s, boost::test_tools::tolerance(0.05));
  BOOST_TEST(fit.median_ape < 2.5);  // the noise is 2% (median |N(0, 0.02)| = 1.35%)
}

BOOST_AUTO_TEST_CASE(fit_rejects_mixed_groups_and_reads_both_argonne_formats) {
  testing::ScratchDir dir;
  testing::WriteFile(dir / "upstream.csv",
                     "Hardware,Num of Hardware,Framework,Model,Input Output Length,Batch Size,Latency,Throughput\n"
                     "Nvidia H100 GPU,2,vLLM,meta-llama/Llama-2-7b-hf,256,16,2.5,3276.8\n");
  testing::WriteFile(dir / "perf.csv",
                     "perf_key,source,hardware,num_devices,framework,model,phase,batch,context_len,output_len,"
                     "latency_s,tokens_per_s\n"
                     "k1,published,Nvidia H100 GPU,2,vLLM,meta-llama/Llama-2-7b-hf,e2e,16,256,256,2.5,3276.8\n");
  const std::vector<PerfRun> a = LoadArgonneRuns(dir / "upstream.csv");
  const std::vector<PerfRun> b = LoadArgonneRuns(dir / "perf.csv");
  BOOST_REQUIRE(a.size() == 1);
  BOOST_REQUIRE(b.size() == 1);
  for (const PerfRun& run : {a[0], b[0]}) {
    BOOST_TEST(run.hardware == "Nvidia H100 GPU");
    BOOST_TEST(run.num_devices == 2);
    BOOST_TEST(run.batch == 16);
    BOOST_TEST(run.context_len == 256);
    BOOST_TEST(run.output_len == 256);
    BOOST_TEST(*run.latency_s == 2.5);
    BOOST_TEST((run.phase == PerfPhase::kEndToEnd));
  }
  testing::WriteFile(dir / "bad.csv",
                     "Hardware,Num of Hardware,Framework,Model,Input Output Length,Batch Size,Latency,Throughput\n"
                     "Nvidia H100 GPU,1,vLLM,m,128,0,1.0,1\n");
  BOOST_CHECK_THROW(LoadArgonneRuns(dir / "bad.csv"), InputError);
  std::vector<PerfRun> mixed = a;
  mixed.push_back(a[0]);
  mixed.back().framework = "TensorRT-LLM";
  BOOST_CHECK_THROW(FitServingRates(mixed, Catalogue(), 80.0, CostFitOptions{}), InputError);
}

// What `thinkplan fit --kind cost` stores for one group: the rates with 95% intervals that cover the truth, the
// leave-one-batch-out error at the noise level, the measured range, and status ok.
BOOST_AUTO_TEST_CASE(group_fit_recovers_rates_with_intervals_and_validates_by_batch) {
  const ServingRates truth = H100LikeRates();
  const std::vector<PerfRun> runs = SyntheticRuns(truth, "test", {1, 16, 32, 64, 128, 256}, 11);
  std::map<std::string, AcceleratorSpec> accelerators;
  accelerators["synthetic"] = AcceleratorSpec{"synthetic", 80.0, 3.35, 989.0, "H100-SXM-80GB"};
  const CostGroupFit fit = FitCostGroup(runs, Catalogue(), accelerators, ValidationOptions{});
  BOOST_TEST_MESSAGE(fit.FullReport());
  BOOST_TEST((fit.status == FitStatus::kOk));
  BOOST_TEST(fit.fit.group.dtype == "bf16");  // a run without a dtype is grouped as bf16
  for (const auto& [rate, value] : {std::pair{fit.t0_s, truth.t0_s}, std::pair{fit.flops_per_s, truth.flops_per_s},
                                    std::pair{fit.bytes_per_s, truth.bytes_per_s}}) {
    BOOST_TEST(rate.identified);
    BOOST_TEST(rate.lower < rate.value);
    BOOST_TEST(rate.upper > rate.value);
    BOOST_TEST(rate.lower <= value);
    BOOST_TEST(rate.upper >= value);
    BOOST_TEST(rate.upper / rate.lower < 1.5);  // 90 runs at 2% noise pin every rate down
  }
  // Fractions against the datasheet figures given above.
  BOOST_TEST(*fit.bandwidth_fraction == fit.fit.bytes_per_s / 3.35e12, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(*fit.flops_fraction == fit.fit.flops_per_s / 989e12, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(fit.held_out_runs == runs.size());
  BOOST_TEST(fit.held_out_median_ape < 3.0);  // median |N(0, 0.02)| = 1.35%, plus the refit's own error
  BOOST_TEST(fit.max_context_tokens == 4096);
  BOOST_TEST(fit.min_batch == 1);
  BOOST_TEST(fit.max_batch == 256);
  // The covariance is symmetric with the delta-method variances of the rates on its diagonal.
  BOOST_REQUIRE(fit.covariance.size() == 9u);
  BOOST_TEST(fit.covariance[1] == fit.covariance[3], boost::test_tools::tolerance(1e-9));
  BOOST_TEST(fit.covariance[8] > 0);
  const FittedEfficiency row = EfficiencyOf(fit);
  BOOST_TEST(row.catalogue_hardware == "H100-SXM-80GB");
  BOOST_TEST(row.max_context_tokens == 4096);
}

// One sequence at a time, prefilled one token per pass (llama.cpp with n_batch 1): no pass is compute-bound, so
// F_eff is not identified; the group stays usable with the rate reported as not identified. Too few runs for
// the threshold: insufficient data, with the count in the reason.
BOOST_AUTO_TEST_CASE(group_fit_says_which_rates_the_runs_do_not_identify) {
  ServingRates truth = H100LikeRates();
  std::vector<PerfRun> runs = SyntheticRuns(truth, "llama.cpp", {1}, 5);
  ValidationOptions options;
  options.min_group_rows = 10;
  const CostGroupFit fit = FitCostGroup(runs, Catalogue(), {}, options);
  BOOST_TEST_MESSAGE(fit.FullReport());
  BOOST_TEST(!fit.flops_per_s.identified);
  BOOST_TEST(fit.bytes_per_s.identified);
  BOOST_TEST((fit.status == FitStatus::kOk));
  BOOST_TEST(fit.bytes_per_s.lower <= truth.bytes_per_s);  // 15 runs: the interval, not a tight point, holds it
  BOOST_TEST(fit.bytes_per_s.upper >= truth.bytes_per_s);
  BOOST_TEST(fit.held_out_runs == 0u);  // one batch size: nothing to hold out, and it says so
  BOOST_TEST(!fit.notes.empty());
  BOOST_TEST(EfficiencyOf(fit).flops_per_s == 0.0);
  runs.resize(5);
  const CostGroupFit thin = FitCostGroup(runs, Catalogue(), {}, options);
  BOOST_TEST((thin.status == FitStatus::kInsufficientData));
  BOOST_TEST(thin.reason.find("5 usable") != std::string::npos, thin.reason);
}

// The harness's decode and prefill steps (what `thinkplan measure` writes), some run with half the layers
// (layer_scale 0.5), fitted like e2e runs. The step times come from the roofline written out here by hand for
// Llama-3.1-8B (8.03e9 parameters, 32 layers, 32 heads, 8 KV heads, head_dim 128, 2-byte weights), not from the
// cost model's code.
BOOST_AUTO_TEST_CASE(group_fit_reads_decode_and_prefill_steps) {
  const double t0 = 0.003, flops = 250e12, bandwidth = 3.0e12;
  std::vector<PerfRun> runs;
  for (double scale : {1.0, 0.5}) {
    const double layers = 32 * scale, params = 8.03e9 * scale;
    const double kv = 2 * layers * 8 * 128 * 2, attention = 4 * layers * 32 * 128, weights = 2 * params;
    for (long batch : {1, 4, 16, 64, 256}) {
      for (long context : {512, 2048, 8192}) {
        PerfRun decode;
        decode.perf_key = fmt::format("d{}:{}:{}", scale, batch, context);
        decode.hardware = "synthetic";
        decode.framework = "thinkplan-harness";
        decode.model = "Llama-3.1-8B";
        decode.phase = PerfPhase::kDecode;
        decode.batch = batch;
        decode.context_len = context;
        decode.layer_scale = scale;
        const double b = static_cast<double>(batch), s = static_cast<double>(context);
        decode.step_ms = 1e3 * (t0 + std::max(b * (2 * params + attention * s) / flops, (weights + b * s * kv) / bandwidth));
        runs.push_back(decode);
        PerfRun prefill = decode;
        prefill.perf_key = "p" + decode.perf_key;
        prefill.phase = PerfPhase::kPrefill;
        prefill.step_ms = 1e3 * (t0 + std::max(b * (2 * params * s + attention * s * s / 2) / flops,
                                               (weights + b * s * kv) / bandwidth));
        runs.push_back(prefill);
      }
    }
  }
  const CostGroupFit fit = FitCostGroup(runs, Catalogue(), {}, ValidationOptions{});
  BOOST_TEST_MESSAGE(fit.FullReport());
  BOOST_TEST((fit.status == FitStatus::kOk));
  BOOST_TEST(fit.fit.rows_used == runs.size());
  BOOST_TEST(fit.fit.t0_s == t0, boost::test_tools::tolerance(0.02));
  BOOST_TEST(fit.fit.flops_per_s == flops, boost::test_tools::tolerance(0.02));
  BOOST_TEST(fit.fit.bytes_per_s == bandwidth, boost::test_tools::tolerance(0.02));
}

// The evidence for the cost model: fit on part of the Argonne runs of each (hardware, framework, devices) group
// and predict the rest. Prints the tables that docs/cost_model.md quotes; writes the fitted efficiencies to
// ./fitted_efficiency.csv (for reading; `thinkplan fit --kind cost` stores the same fits in the database).
BOOST_AUTO_TEST_CASE(argonne_held_out_validation) {
  const std::vector<PerfRun> runs = LoadArgonneRuns(ArgonnePath());
  BOOST_TEST(runs.size() >= 4771u);
  const ModelCatalogue catalogue = Catalogue();
  const auto accelerators = StoredAccelerators();
  ValidationOptions options;

  struct Bound {
    HoldoutScheme scheme;
    double median_bound;  // what the model achieves, rounded up: a regression fails this test
    double p90_bound;
  };
  const Bound bounds[] = {
      // Achieved when written (median / p90): 5.5 / 25.5, 7.0 / 28.7, 10.2 / 33.4, 6.2 / 28.7, 7.2 / 35.9.
      {HoldoutScheme::kInSample, 7, 30},
      {HoldoutScheme::kLeaveOneBatchOut, 9, 32},
      {HoldoutScheme::kBatchExtrapolation, 12, 38},
      {HoldoutScheme::kLeaveOneLengthOut, 8, 32},
      {HoldoutScheme::kLengthExtrapolation, 10, 40},
  };
  for (const Bound& bound : bounds) {
    const ValidationSummary v = ValidateHoldout(runs, catalogue, accelerators, bound.scheme, options);
    std::cout << v.FullReport() << std::flush;
    BOOST_TEST_CONTEXT(ToString(bound.scheme)) {
      BOOST_TEST(v.predictions.size() > 300u);
      BOOST_TEST(v.median_ape < bound.median_bound);
      BOOST_TEST(v.p90_ape < bound.p90_bound);
      // 13 Argonne runs (H100 TensorRT-LLM, Qwen2 at the longest lengths) finish faster than reading the weights
      // once per token at datasheet bandwidth allows; they are faults, left out.
      BOOST_TEST(v.implausible < 30u);
      // The cards a planner prices: every Nvidia part within 13% median under every scheme (worst when
      // written: H100 batch extrapolation, 11.1%).
      for (const auto& [hardware, row] : v.by_hardware) {
        if (hardware.starts_with("Nvidia")) BOOST_TEST(row.median_ape < 13, hardware);
      }
    }
  }
  const std::vector<FittedEfficiency> table = FitEfficiencyTable(runs, catalogue, accelerators, options);
  WriteEfficiencyTable("fitted_efficiency.csv", table);
  std::cout << testing::ReadFile("fitted_efficiency.csv");
}

// llama.cpp's prompt passes over n layer-split devices form a pipeline: 1/n of the serial time. Checked against the
// roofline written out by hand for a memory-bound one-token pass (F_eff so high that no pass is compute-bound):
// Llama-2-7B at prompt batch 1 and length L, one device against four, differs by 3/4 of
// sum_{i=1..L} (t0 + (W + i kv) / BW), W = 2 x 6.74e9 bytes, kv = 2 x 32 x 32 x 128 x 2 = 524,288 bytes.
BOOST_AUTO_TEST_CASE(llama_cpp_prompt_passes_pipeline_over_devices) {
  const ModelCatalogue catalogue = Catalogue();
  ServingRates rates = H100LikeRates();
  rates.flops_per_s = 1e30;
  rates.hbm_bytes = 0;  // no capacity limit
  const long length = 256;
  PerfRun run;
  run.framework = "llama.cpp";
  run.model = "meta-llama/Llama-2-7b-hf";
  run.phase = PerfPhase::kEndToEnd;
  run.batch = 1;
  run.context_len = run.output_len = length;
  run.num_devices = 1;
  const double serial = *PredictLatency(run, catalogue, rates, CostFitOptions{});
  run.num_devices = 4;
  const double pipelined = *PredictLatency(run, catalogue, rates, CostFitOptions{});
  const double weights = catalogue.Find(run.model)->WeightBytes(), kv = 524288.0, l = static_cast<double>(length);
  const double prompt = l * rates.t0_s + (l * weights + kv * l * (l + 1) / 2) / rates.bytes_per_s;
  BOOST_TEST(serial - pipelined == 0.75 * prompt, boost::test_tools::tolerance(0.01));
  CostFitOptions unpipelined;
  unpipelined.pipelined_prompt_passes = false;
  BOOST_TEST(*PredictLatency(run, catalogue, rates, unpipelined) == serial, boost::test_tools::tolerance(1e-12));
}

// Synthetic llama.cpp runs on four devices, generated from known rates with the prompt pipelined (2% noise):
// the fit recovers t0 and BW_eff, and a fit that runs the prompt passes serially cannot (BW_eff off by over 20%,
// 90th percentile error over 1.5x) - the batch-1 runs identify the term. F_eff is weakly constrained by one sequence.
BOOST_AUTO_TEST_CASE(recovers_rates_of_pipelined_prompt_passes) {
  const ModelCatalogue catalogue = Catalogue();
  ServingRates truth = H100LikeRates();
  truth.num_devices = 4;
  truth.hbm_bytes *= 4;  // one replica of four 80 GiB cards, as the fit sizes it below
  truth.reserve_bytes *= 4;
  const std::vector<PerfRun> runs =
      SyntheticRuns(catalogue, truth, "llama.cpp", 4,
                    {"meta-llama/Llama-2-7b-hf", "Qwen/Qwen2-7B", "meta-llama/Meta-Llama-3-70B"}, {1, 16, 32, 64}, 17);
  const CostFitSummary fit = FitServingRates(runs, catalogue, 80.0, CostFitOptions{});
  BOOST_TEST_MESSAGE(fit.FullReport());
  BOOST_TEST(fit.converged);
  BOOST_TEST(fit.t0_s == truth.t0_s, boost::test_tools::tolerance(0.05));
  BOOST_TEST(fit.bytes_per_s == truth.bytes_per_s, boost::test_tools::tolerance(0.05));
  BOOST_TEST(fit.median_ape < 2.5);
  CostFitOptions serial;
  serial.pipelined_prompt_passes = false;
  const CostFitSummary unpipelined = FitServingRates(runs, catalogue, 80.0, serial);
  BOOST_TEST_MESSAGE(unpipelined.FullReport());
  BOOST_TEST(unpipelined.p90_ape > 1.5 * fit.p90_ape);
  BOOST_TEST(std::abs(unpipelined.bytes_per_s / truth.bytes_per_s - 1) > 0.2);
}


// What three modelling choices are worth. Reading llama.cpp's "batch" as concurrent sequences makes the
// leave-one-batch-out error much worse; running its prompt passes serially over layer-split devices (no pipeline)
// makes the tail worse. The KV-capacity waves touch only the ~40 runs whose cache does not fit
// (Llama-2-7B's full multi-head cache at batch 64+ and length 2048), so they may only not make it
// worse beyond noise.
BOOST_AUTO_TEST_CASE(argonne_ablations) {
  const std::vector<PerfRun> runs = LoadArgonneRuns(ArgonnePath());
  const ModelCatalogue catalogue = Catalogue();
  const auto accelerators = StoredAccelerators();
  const ValidationOptions full;
  ValidationOptions no_waves = full, no_llama_cpp = full;
  no_waves.fit.memory_limited = false;
  no_llama_cpp.fit.prompt_batch_frameworks.clear();
  ValidationOptions serial_prompt = full;
  serial_prompt.fit.pipelined_prompt_passes = false;
  const auto scheme = HoldoutScheme::kLeaveOneBatchOut;
  const ValidationSummary a = ValidateHoldout(runs, catalogue, accelerators, scheme, full);
  const ValidationSummary b = ValidateHoldout(runs, catalogue, accelerators, scheme, no_waves);
  const ValidationSummary c = ValidateHoldout(runs, catalogue, accelerators, scheme, no_llama_cpp);
  const ValidationSummary d = ValidateHoldout(runs, catalogue, accelerators, scheme, serial_prompt);
  std::cout << "ablation, " << ToString(scheme) << ": full model " << a.median_ape << "% / " << a.p90_ape
            << "%; no KV waves " << b.median_ape << "% / " << b.p90_ape << "%; llama.cpp batch as sequences "
            << c.median_ape << "% / " << c.p90_ape << "%; llama.cpp prompt passes serial over devices " << d.median_ape
            << "% / " << d.p90_ape << "%\n";
  BOOST_TEST(a.p90_ape <= b.p90_ape + 0.1);  // 28.66% with waves, 28.63% without when written
  BOOST_TEST(a.median_ape < c.median_ape);
  BOOST_TEST(a.p90_ape < d.p90_ape - 4);  // 28.7% against 34.7% when written
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan::fitting
