// The cost-model fit: recovery of known rates from synthetic runs, the Argonne loader in both formats, and the
// held-out validation on the 4,771 Argonne LLM-Inference-Bench runs (by batch size and by sequence length).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <random>

#include "tests/common/test_support.h"
#include "core/errors.h"
#include "fitting/cost_fit.h"

namespace thinkplan::fitting {
namespace {

std::filesystem::path ArgonnePath() {
  const std::filesystem::path converted = testing::DataDir() / "public" / "argonne" / "perf.csv";
  if (std::filesystem::exists(converted)) return converted;
  return testing::SharedDataDir() / "public" / "argonne" / "All_results.csv";
}

ModelCatalogue Catalogue() { return ModelCatalogue::Load(testing::DataDir() / "models" / "models.csv"); }

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
  ServingRates truth;
  truth.t0_s = 0.004;
  truth.flops_per_s = 300e12;
  truth.bytes_per_s = 2.2e12;
  truth.hbm_bytes = 80 * 1073741824.0;
  truth.reserve_bytes = 0.1 * truth.hbm_bytes;
  CostFitOptions options;
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0, 0.02);  // 2% log-normal measurement noise
  std::vector<PerfRun> runs;
  for (const char* model : {"meta-llama/Llama-2-7b-hf", "meta-llama/Meta-Llama-3-8B", "Qwen/Qwen2-7B"}) {
    for (long batch : {1, 16, 32, 64, 128, 256}) {
      for (long length : {128, 256, 512, 1024, 2048}) {
        PerfRun run;
        run.hardware = "synthetic";
        run.framework = "test";
        run.model = model;
        run.phase = PerfPhase::kEndToEnd;
        run.batch = batch;
        run.context_len = run.output_len = length;
        const std::optional<double> latency = PredictLatency(run, catalogue, truth, options);
        BOOST_REQUIRE(latency.has_value());
        run.latency_s = *latency * std::exp(noise(rng));
        runs.push_back(run);
      }
    }
  }
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

// The evidence for the cost model: fit on part of the Argonne runs of each (hardware, framework, devices) group
// and predict the rest. Prints the tables that docs/cost_model.md quotes; writes the fitted efficiencies to
// ./fitted_efficiency.csv (the source of data/models/fitted_efficiency.csv).
BOOST_AUTO_TEST_CASE(argonne_held_out_validation) {
  const std::vector<PerfRun> runs = LoadArgonneRuns(ArgonnePath());
  BOOST_TEST(runs.size() >= 4771u);
  const ModelCatalogue catalogue = Catalogue();
  const auto accelerators = LoadAcceleratorSpecs(testing::DataDir() / "models" / "accelerators.csv");
  ValidationOptions options;

  struct Bound {
    HoldoutScheme scheme;
    double median_bound;  // what the model achieves, rounded up: a regression fails this test
    double p90_bound;
  };
  const Bound bounds[] = {
      // Achieved when written (median / p90): 5.5 / 30.3, 7.2 / 34.7, 9.8 / 34.4, 6.1 / 31.3, 8.0 / 36.7.
      {HoldoutScheme::kInSample, 7, 35},
      {HoldoutScheme::kLeaveOneBatchOut, 9, 40},
      {HoldoutScheme::kBatchExtrapolation, 12, 40},
      {HoldoutScheme::kLeaveOneLengthOut, 8, 36},
      {HoldoutScheme::kLengthExtrapolation, 10, 43},
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

// What two modelling choices are worth. Reading llama.cpp's "batch" as concurrent sequences makes the
// leave-one-batch-out error much worse. The KV-capacity waves touch only the ~40 runs whose cache does not fit
// (Llama-2-7B's full multi-head cache at batch 64+ and length 2048), so they may only not make it worse.
BOOST_AUTO_TEST_CASE(argonne_ablations) {
  const std::vector<PerfRun> runs = LoadArgonneRuns(ArgonnePath());
  const ModelCatalogue catalogue = Catalogue();
  const auto accelerators = LoadAcceleratorSpecs(testing::DataDir() / "models" / "accelerators.csv");
  const ValidationOptions full;
  ValidationOptions no_waves = full, no_llama_cpp = full;
  no_waves.fit.memory_limited = false;
  no_llama_cpp.fit.prompt_batch_frameworks.clear();
  const auto scheme = HoldoutScheme::kLeaveOneBatchOut;
  const ValidationSummary a = ValidateHoldout(runs, catalogue, accelerators, scheme, full);
  const ValidationSummary b = ValidateHoldout(runs, catalogue, accelerators, scheme, no_waves);
  const ValidationSummary c = ValidateHoldout(runs, catalogue, accelerators, scheme, no_llama_cpp);
  std::cout << "ablation, " << ToString(scheme) << ": full model " << a.median_ape << "% / " << a.p90_ape
            << "%; no KV waves " << b.median_ape << "% / " << b.p90_ape << "%; llama.cpp batch as sequences "
            << c.median_ape << "% / " << c.p90_ape << "%\n";
  BOOST_TEST(a.p90_ape <= b.p90_ape);
  BOOST_TEST(a.median_ape < c.median_ape);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan::fitting
