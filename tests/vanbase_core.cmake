# vanbase's pure core (vanbase/core, library vbcore): the alarm rules on
# base's clock, the alarm lifecycle, rota and chains, save/restore, and
# hostile input, with a fake clock (tests/unit/test_vb_harness.h).
foreach(t vb_rules vb_chain vb_hostile)
  van_unit_test(test_${t} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_${t}.c LIBS vbcore)
endforeach()
