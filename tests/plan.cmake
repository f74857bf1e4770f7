# Plans: the pure tracker (controller/core/plan.c, plan_def.c - in vancore by
# its glob), a replay of the demo tracks against the demo plan, and the plan
# file parser with `vanctl plan` (controller/planfile.c, vanctl/plan_cli.c).
van_unit_test(test_plan SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_plan.c LIBS vancore)
van_unit_test(test_plan_replay SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_plan_replay.c
  LIBS vancore)

# The plan file parser (controller/planfile.c) with `vanctl plan` (vanctl/plan_cli.c).
van_unit_test(test_planfile SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_planfile.c
  ${CMAKE_SOURCE_DIR}/vanctl/plan_cli.c LIBS vancommon)
# A plan across the change of the clocks (struct plan_tz).
van_unit_test(test_plan_tz SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_plan_tz.c LIBS vancore)
