# Unit tests of the shell's modules: config, the loop, the reference clock, route filter, geo, the health reader.
van_unit_test(test_conf SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_conf.c LIBS vancommon)
van_unit_test(test_loop SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_loop.c LIBS vancommon)
van_unit_test(test_clock SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_clock.c LIBS vancommon)
van_unit_test(test_track SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_track.c LIBS vancore)
van_unit_test(test_health_read SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_health_read.c LIBS vancommon)
