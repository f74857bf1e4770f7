# The control socket (controller/ctl.c): unit tests on a real socket, and
# integration tests of vanctl and the crew display against a real vanctld.
#
van_unit_test(test_ctl SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_ctl.c LIBS vandaemon)

# vanctl and the crew display against a real vanctld (tmux for the display).
if(TARGET vanctl)
  van_integration_test(it_20_vanctl it_20_vanctl.sh)
endif()
if(TARGET vanctl AND TARGET vandisplay)
  van_integration_test(it_21_display it_21_display.sh TIMEOUT 300)
endif()
