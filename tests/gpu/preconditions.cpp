#include "tests/common/preconditions.h"

#include <filesystem>

#include "gpu/measure.h"
#include "tests/common/test_support.h"

namespace thinkplan::testing {

boost::test_tools::assertion_result CudaDeviceUsable::operator()(boost::unit_test::test_unit_id) const {
  const gpu::DeviceStatus status = gpu::ProbeDevice(gpu::Device::kCuda);
  boost::test_tools::assertion_result result(status.usable);
  if (!status.usable) result.message() << "no usable CUDA device: " << status.message;
  return result;
}

boost::test_tools::assertion_result NoCudaDevice::operator()(boost::unit_test::test_unit_id) const {
  const gpu::DeviceStatus status = gpu::ProbeDevice(gpu::Device::kCuda);
  boost::test_tools::assertion_result result(!status.usable);
  if (status.usable) result.message() << "a CUDA device is usable here: " << status.message;
  return result;
}

boost::test_tools::assertion_result ExecutableBuilt::operator()(boost::unit_test::test_unit_id) const {
  const bool built = std::filesystem::exists(ThinkplanExe());
  boost::test_tools::assertion_result result(built);
  if (!built) result.message() << "the thinkplan executable is not built: " << ThinkplanExe();
  return result;
}

}  // namespace thinkplan::testing
