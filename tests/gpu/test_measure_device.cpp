// The CUDA device path: without a usable device (or without CUDA in the build) measurement refuses in one line
// with exit code 2; with one, the attention kernels must match float64 references. GPU checks skip where no
// device is usable, saying why.
#include <boost/test/unit_test.hpp>
#include <algorithm>

#include "core/errors.h"
#include "gpu/measure.h"
#include "tests/common/preconditions.h"
#include "tests/common/test_support.h"

namespace gpu = thinkplan::gpu;
namespace utf = boost::unit_test;
using thinkplan::testing::CudaDeviceUsable;
using thinkplan::testing::ExecutableBuilt;
using thinkplan::testing::NoCudaDevice;
using thinkplan::testing::RunThinkplan;
using thinkplan::testing::ScratchDir;
using thinkplan::testing::ShellQuote;

BOOST_AUTO_TEST_SUITE(measure_device)

BOOST_AUTO_TEST_CASE(probe_reports_one_line) {
  const gpu::DeviceStatus status = gpu::ProbeDevice(gpu::Device::kCuda);
  BOOST_TEST_MESSAGE("CUDA probe: " << status.message);
  BOOST_TEST(!status.message.empty());
  BOOST_TEST(status.message.find('\n') == std::string::npos);
  if (!gpu::BuiltWithCuda()) {
    BOOST_TEST(!status.usable);
    BOOST_TEST(status.message.find("no CUDA support") != std::string::npos);
  } else if (!status.usable) {
    // The reason names what failed: the runtime's error code, or the device.
    BOOST_TEST(status.message.find("no usable CUDA device") != std::string::npos);
  }
  BOOST_TEST(gpu::ProbeDevice(gpu::Device::kCpu).usable);
  BOOST_TEST((gpu::ParseDevice("gpu") == gpu::Device::kCuda));
  BOOST_TEST(!gpu::ParseDevice("tpu").has_value());
}

BOOST_AUTO_TEST_CASE(measure_without_device_is_an_input_error, *utf::precondition(NoCudaDevice{})) {
  gpu::MeasureOptions options;  // CUDA by default
  try {
    gpu::Measure(options, nullptr);
    BOOST_FAIL("Measure ran without a device");
  } catch (const thinkplan::InputError& e) {
    BOOST_TEST(static_cast<int>(e.code()) == 2);
    const std::string message = e.what();
    BOOST_TEST(message.find('\n') == std::string::npos);
    BOOST_TEST(message.find("--device cpu") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(cli_without_device_prints_one_line_and_exits_2,
                     *utf::precondition(NoCudaDevice{}) * utf::precondition(ExecutableBuilt{})) {
  ScratchDir dir;
  const auto result = RunThinkplan("measure --out " + ShellQuote((dir / "out").string()));
  BOOST_TEST(result.exit_code == 2);
  BOOST_TEST(result.out.empty());
  BOOST_TEST(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  BOOST_TEST(result.err.rfind("thinkplan measure: ", 0) == 0u);
  BOOST_TEST(!std::filesystem::exists(dir / "out"));  // nothing half-written
}

BOOST_AUTO_TEST_CASE(cli_cpu_path_runs_end_to_end, *utf::precondition(ExecutableBuilt{})) {
  ScratchDir dir;
  const auto result = RunThinkplan(
      "--quiet measure --device cpu --quick --batches 1,2 --contexts 128 --max-prefill-tokens 128 --repeats 2 "
      "--out " + ShellQuote((dir / "out").string()));
  BOOST_TEST(result.exit_code == 0, result.err);
  BOOST_TEST(result.out.find("step ms") != std::string::npos);
  const std::string jsonl = thinkplan::testing::ReadFile(dir / "out" / "perf.jsonl");
  BOOST_TEST(std::count(jsonl.begin(), jsonl.end(), '\n') == 3);  // decode at batch 1 and 2, one prefill
  BOOST_TEST(RunThinkplan("measure --device tpu").exit_code == 1);
  BOOST_TEST(RunThinkplan("measure --device cpu --batches 0").exit_code == 1);
}

BOOST_AUTO_TEST_CASE(cuda_kernels_match_float64_references,
                     *utf::precondition(CudaDeviceUsable{}) * utf::label("device")) {
  const gpu::KernelChecks checks = gpu::CheckCudaKernels(20261120);
  BOOST_REQUIRE_MESSAGE(checks.ran, checks.skip_reason);
  BOOST_TEST(checks.results.size() >= 8u);
  for (const auto& c : checks.results) {
    BOOST_TEST_MESSAGE(c.name << ": relative error " << c.rel_error << " (" << c.detail << ")");
    BOOST_TEST(c.passed, c.name << ": relative error " << c.rel_error);
    BOOST_TEST(c.rel_error < 1e-2);
  }
}

BOOST_AUTO_TEST_SUITE_END()
