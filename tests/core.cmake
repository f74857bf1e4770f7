# The pure core's rules (controller/core): occupancy, sessions and check-ins,
# stops, alarms, the van aggregate, and a randomized invariant test.
foreach(t occupancy session stops alarm van core_random evtype)
  van_unit_test(test_${t} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_${t}.c LIBS vancore)
endforeach()
