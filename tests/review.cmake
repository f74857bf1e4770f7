# The manager's review (vanctl/review*.c): unit tests, the fixture generator,
# a small driver that runs review_main() directly, integration tests.
#
# vanctl/CMakeLists.txt builds the review sources into vanctl
# itself; the tests build them into a library of their own so they do not
# depend on how vanctl is put together.  The integration tests use the
# driver, and check that `vanctl` (when built) gives the same output.
file(GLOB VAN_REVIEW_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/vanctl/review*.c)
if(VAN_REVIEW_SOURCES)
  add_library(vanreview_t STATIC ${VAN_REVIEW_SOURCES})
  target_include_directories(vanreview_t PUBLIC ${CMAKE_SOURCE_DIR}/vanctl)
  target_link_libraries(vanreview_t PUBLIC vancommon PkgConfig::JANSSON m)

  # review_cli ARGS...: review_main(ARGS) - the review subcommands without vanctl
  add_executable(review_cli ${CMAKE_SOURCE_DIR}/tests/unit/test_review_cli.c)
  target_link_libraries(review_cli PRIVATE vanreview_t)

  # review_fixture OUT.db [--old]: the test database, through store.h
  add_executable(review_fixture ${CMAKE_SOURCE_DIR}/tests/data/review_fixture.c)
  target_link_libraries(review_fixture PRIVATE vancommon PkgConfig::JANSSON m)

  van_unit_test(test_review SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_review.c
    LIBS vanreview_t)
  # the fixture database the unit test reads is made by the test itself
  add_dependencies(test_review review_fixture)

  van_integration_test(it_40_review_cli it_40_review_cli.sh)
  van_integration_test(it_41_review_export it_41_review_export.sh)
  van_integration_test(it_42_review_html it_42_review_html.sh TIMEOUT 300)
  van_integration_test(it_43_review_edge it_43_review_edge.sh TIMEOUT 300)
  van_integration_test(it_44_review_vanctl it_44_review_vanctl.sh)
  # exit 77: a tool is missing (scripts/install-review-deps.sh) - skipped
  foreach(t it_40_review_cli it_41_review_export it_42_review_html it_43_review_edge
      it_44_review_vanctl)
    set_property(TEST ${t} APPEND PROPERTY LABELS review)
    set_property(TEST ${t} PROPERTY SKIP_RETURN_CODE 77)
  endforeach()
endif()
