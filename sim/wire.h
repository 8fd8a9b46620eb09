// Internal to the simulator: the plain binary form in which mergeable partial results travel between processes
// (sim/fleet_shard.h). Both ends are the same build on machines of the same byte order (an MPI job), so values
// are written as their bytes; reading past the end is an InputError, not undefined behaviour.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/errors.h"

namespace thinkplan::sim::wire {

template <typename T>
void Put(std::string& out, const T& value) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
T Get(std::string_view& in) {
  static_assert(std::is_trivially_copyable_v<T>);
  if (in.size() < sizeof(T)) {
    throw InputError({"fleet partial result", 0, "bytes", std::to_string(in.size())}, "ends early: not a partial result");
  }
  T value;
  std::memcpy(&value, in.data(), sizeof(T));
  in.remove_prefix(sizeof(T));
  return value;
}

template <typename T>
void PutVector(std::string& out, const std::vector<T>& values) {
  Put<uint64_t>(out, values.size());
  for (const T& v : values) Put(out, v);
}

template <typename T>
std::vector<T> GetVector(std::string_view& in) {
  const uint64_t n = Get<uint64_t>(in);
  if (n > in.size() / sizeof(T)) {
    throw InputError({"fleet partial result", 0, "length", std::to_string(n)}, "longer than the bytes that follow");
  }
  std::vector<T> values(n);
  for (T& v : values) v = Get<T>(in);
  return values;
}

}  // namespace thinkplan::sim::wire
