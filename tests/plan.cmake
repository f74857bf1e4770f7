# Plans: the pure tracker (controller/core/plan.c, plan_def.c - in vancore by
# its glob), a replay of the demo tracks against the demo plan, and the plan
# file parser with `vanctl plan` (controller/planfile.c, vanctl/plan_cli.c).
van_unit_test(test_plan SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_plan.c LIBS vancore)
van_unit_test(test_plan_replay SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_plan_replay.c
  LIBS vancore)

# planfile.c goes into vanshell; until it is there, build it into the test.
set(_plan_srcs ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_planfile.c
  ${CMAKE_SOURCE_DIR}/vanctl/plan_cli.c)
get_target_property(_vanshell_srcs vanshell SOURCES)
list(FILTER _vanshell_srcs INCLUDE REGEX "planfile\\.c$")
if(NOT _vanshell_srcs)
  list(APPEND _plan_srcs ${CMAKE_SOURCE_DIR}/controller/planfile.c)
endif()
van_unit_test(test_planfile SOURCES ${_plan_srcs} LIBS vanshell)
# A plan across the change of the clocks (struct plan_tz).
van_unit_test(test_plan_tz SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_plan_tz.c LIBS vancore)
