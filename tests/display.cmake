# The crew display (display/): its pure parts (colours and their contrast on
# each kind of terminal, what it says about time and the backlog), and the
# real display in tmux at the screen's edges (it_21, the scenario, is in
# ctl.cmake).
if(TARGET vandisplay_text)
  van_unit_test(test_display SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_display.c LIBS vandisplay_text)
endif()
if(TARGET vanctl AND TARGET vandisplay)
  van_integration_test(it_22_display_edges it_22_display_edges.sh TIMEOUT 300)
endif()
