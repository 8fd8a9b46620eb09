# thinkplan_harness_common: the plain C++ half of the harness (model shapes, step costs, the measurement grid,
# the float64 attention reference, JSON Lines output). Shared by the standalone harness project and by the
# top-level build, which uses it for the CPU path even when CUDA is off. Included at most once per build.
if(NOT TARGET thinkplan_harness_common)
  set(_harness_dir ${CMAKE_CURRENT_LIST_DIR})
  add_library(thinkplan_harness_common STATIC
    ${_harness_dir}/src/arguments.cpp
    ${_harness_dir}/src/attention_reference.cpp
    ${_harness_dir}/src/bf16.cpp
    ${_harness_dir}/src/grid.cpp
    ${_harness_dir}/src/json_output.cpp
    ${_harness_dir}/src/model_shape.cpp
    ${_harness_dir}/src/summary.cpp
    ${_harness_dir}/src/system_info.cpp)
  target_include_directories(thinkplan_harness_common PUBLIC ${_harness_dir}/include)
  target_compile_features(thinkplan_harness_common PUBLIC cxx_std_20)
  target_compile_definitions(thinkplan_harness_common PUBLIC THINKPLAN_HARNESS_VERSION="0.1.0")
  set_target_properties(thinkplan_harness_common PROPERTIES POSITION_INDEPENDENT_CODE ON)
endif()
