# The base console (base/): its rules in node (no browser), and the whole
# page in headless Chromium against a real broker and real vans.
# Both need scripts/install-base-deps.sh (chromium, nodejs, npm ci in base/).
find_program(VAN_NODE node)
if(VAN_NODE)
  add_test(NAME base_console_model
    COMMAND ${VAN_NODE} --test ${CMAKE_SOURCE_DIR}/base/test/fleet.test.mjs)
  set_tests_properties(base_console_model PROPERTIES LABELS unit TIMEOUT 60)
  # vanbase's alarm list in the console: whose alarms count, where acks go
  add_test(NAME base_console_vanbase
    COMMAND ${VAN_NODE} --test ${CMAKE_SOURCE_DIR}/base/test/vanbase.test.mjs)
  set_tests_properties(base_console_vanbase PROPERTIES LABELS unit TIMEOUT 60)
  # the console's fallback rules against the cases vanbase's core runs too
  # (tests/data/base_rules_cases.json; vanbase: test_vb_cases)
  add_test(NAME base_rules_cases
    COMMAND ${VAN_NODE} --test ${CMAKE_SOURCE_DIR}/base/test/rules_cases.test.mjs)
  set_tests_properties(base_rules_cases PROPERTIES LABELS unit TIMEOUT 60)
else()
  message(WARNING "node not found: base console tests not registered (scripts/install-base-deps.sh)")
endif()
van_integration_test(it_60_base_console it_60_base_console.sh TIMEOUT 300)
van_integration_test(it_61_base_console_edges it_61_base_console_edges.sh TIMEOUT 300)
# the console with vanbase: its alarm list, the banner while it is down, acks and closes
van_integration_test(it_62_base_vanbase it_62_base_vanbase.sh TIMEOUT 300)
