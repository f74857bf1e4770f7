# Storage (controller/store.c, store_schema.c): unit tests on real SQLite files.
van_unit_test(test_store SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_store.c LIBS vancommon)
