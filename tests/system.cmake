# tests/system.cmake - the whole-system test (issue 23, "the van in a box"):
#
#   system_vm   builds a Debian 12 image with mmdebstrap (cached), boots it in
#               qemu under systemd, installs this build's .deb with apt, and
#               checks the unit at boot, its security score, the watchdog,
#               reload, a bad config, vanctl's access rules and file modes,
#               then cuts the power VAN_SYSTEM_CUTS (20) times while events
#               flow (tests/system/run-system-test.sh).  Label "system".
#               Needs root; host packages: scripts/install-system-deps.sh
#               (the script runs it when a tool is missing).
#               VAN_SKIP_SYSTEM=1 skips it (exit 77).
add_test(NAME system_vm COMMAND bash ${CMAKE_SOURCE_DIR}/tests/system/run-system-test.sh)
set_tests_properties(system_vm PROPERTIES LABELS "system;vm" TIMEOUT 2400
  SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
  ENVIRONMENT "VAN_SOURCE_DIR=${CMAKE_SOURCE_DIR};VAN_BINARY_DIR=${CMAKE_BINARY_DIR}")
