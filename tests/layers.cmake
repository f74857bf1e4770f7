# The layers of the build (controller/CMakeLists.txt): checked on the built
# programs with ldd, and on the core's includes.
add_test(NAME build_layers COMMAND bash ${CMAKE_SOURCE_DIR}/tests/build/layers.sh)
set_tests_properties(build_layers PROPERTIES LABELS unit
  ENVIRONMENT "VAN_SOURCE_DIR=${CMAKE_SOURCE_DIR};VAN_BINARY_DIR=${CMAKE_BINARY_DIR}")
