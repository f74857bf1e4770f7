# vanbase's pure core (vanbase/core, library vbcore): the alarm rules on
# base's clock, the alarm lifecycle, rota and chains, save/restore, and
# hostile input, with a fake clock (tests/unit/test_vb_harness.h); and the
# shared cases of the rules (tests/data/base_rules_cases.json) the console's
# fallback must pass too.
foreach(t vb_rules vb_chain vb_hostile vb_cases)
  van_unit_test(test_${t} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_${t}.c LIBS vbcore)
endforeach()
