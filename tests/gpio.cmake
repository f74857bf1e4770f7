# hw/gpio tests.
#   test_gpio         unit tests (cmocka): config, sim backend, debounce, hold, order
#   gpiod_v2_compile  builds hw/gpio_gpiod_v2.c against Debian 13's libgpiod 2.x
#                     (fetched by scripts/fetch-gpiod2.sh into a private cache) with
#                     -Werror and links and runs a program with it.  Needs the Debian
#                     mirror on first run; fails if it cannot get it.
#                     VAN_SKIP_GPIOD2=1 skips it (reported as skipped, for quick local runs).
#   gpio_vm           boots Debian's kernel in qemu with gpio-sim and drives the real
#                     gpiod backends (1.6 and 2.x) through scripted line pulls
#                     (tests/vm/README.md).  Label "vm".  VAN_SKIP_VM=1 skips it.
#                     Host packages: scripts/install-vm-deps.sh.
van_unit_test(test_gpio SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_gpio.c LIBS vanhw)

add_test(NAME gpiod_v2_compile COMMAND bash ${CMAKE_SOURCE_DIR}/tests/vm/gpiod-v2-compile.sh)
set_tests_properties(gpiod_v2_compile PROPERTIES LABELS "integration;gpio" TIMEOUT 300
  SKIP_RETURN_CODE 77
  ENVIRONMENT "VAN_SOURCE_DIR=${CMAKE_SOURCE_DIR};VAN_BINARY_DIR=${CMAKE_BINARY_DIR}")

add_test(NAME gpio_vm COMMAND bash ${CMAKE_SOURCE_DIR}/tests/vm/run-vm-test.sh)
set_tests_properties(gpio_vm PROPERTIES LABELS "vm;gpio" TIMEOUT 600
  SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
  ENVIRONMENT "VAN_SOURCE_DIR=${CMAKE_SOURCE_DIR};VAN_BINARY_DIR=${CMAKE_BINARY_DIR}")
