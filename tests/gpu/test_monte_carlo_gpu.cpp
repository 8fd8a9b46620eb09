// The CUDA Monte Carlo kernel against the CPU engine, bit for bit, on the same seeds. Skips with the device's
// one-line reason where no CUDA device is usable (as on machines without a GPU).
#include <boost/test/unit_test.hpp>

#include <cstring>

#include "core/errors.h"
#include "gpu/monte_carlo_gpu.h"
#include "sim/monte_carlo.h"
#include "tests/common/preconditions.h"

using namespace thinkplan;
namespace utf = boost::unit_test;

BOOST_AUTO_TEST_SUITE(monte_carlo_gpu)

BOOST_AUTO_TEST_CASE(without_a_device_the_kernel_is_refused_as_an_input_error,
                     *utf::precondition(testing::NoCudaDevice{})) {
  std::string why;
  BOOST_TEST(!gpu::MonteCarloDeviceAvailable(&why));
  BOOST_TEST(!why.empty());
  BOOST_CHECK_THROW(gpu::DeviceSimulateCredits({}, 1, 0, 10), InputError);
}

BOOST_AUTO_TEST_CASE(device_credits_equal_cpu_credits_bit_for_bit,
                     *utf::precondition(testing::CudaDeviceUsable{}) * utf::label("device")) {
  for (sim::McAggregation aggregation : {sim::McAggregation::kPassAt, sim::McAggregation::kConsensus,
                                         sim::McAggregation::kBestOf}) {
    sim::McProblemSpec spec;
    spec.beta_a = 0.4;
    spec.beta_b = 0.6;
    spec.samples = 37;  // not a multiple of 4 or 32: partial Philox blocks on both sides
    spec.aggregation = aggregation;
    spec.dprime = 1.5;
    spec.rho = 0.4;
    const std::vector<double> cpu = sim::SimulateCredits(spec, 77, 1000, 20000);
    const std::vector<double> device = gpu::DeviceSimulateCredits(spec, 77, 1000, 20000);
    BOOST_REQUIRE(cpu.size() == device.size());
    size_t mismatches = 0;
    for (size_t i = 0; i < cpu.size(); ++i) mismatches += std::memcmp(&cpu[i], &device[i], sizeof(double)) != 0;
    BOOST_TEST(mismatches == 0u);
  }
}

BOOST_AUTO_TEST_SUITE_END()
