// Boost.Test preconditions for tests that need what a machine may lack (a CUDA device, the built executable).
// A test whose precondition fails is reported as skipped, with the reason, never as passed; CTest shows the
// device suites as "Skipped" (tests/CMakeLists.txt). Use as a decorator:
//   BOOST_AUTO_TEST_CASE(name, *boost::unit_test::precondition(thinkplan::testing::CudaDeviceUsable{})
//                              *boost::unit_test::label("device"))
#pragma once

#include <boost/test/unit_test.hpp>

namespace thinkplan::testing {

// True when a CUDA device can run the harness; otherwise false with the probe's one-line reason.
struct CudaDeviceUsable {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const;
};

// The opposite: for tests of what happens without a device.
struct NoCudaDevice {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const;
};

// The `thinkplan` executable is built (tests that run it as a user would).
struct ExecutableBuilt {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const;
};

}  // namespace thinkplan::testing
