# Storage (controller/store.c, store_schema.c): unit tests on real SQLite files.
#
# Once vanshell carries the store, the test links it; until then (or for a
# file vanshell lacks) the store's sources are compiled into the test itself.
get_target_property(_van_shell_sources vanshell SOURCES)
set(_van_store_sources ${CMAKE_SOURCE_DIR}/tests/unit/test_store.c)
foreach(_f store.c store_schema.c)
  if(NOT _f IN_LIST _van_shell_sources)
    list(APPEND _van_store_sources ${CMAKE_SOURCE_DIR}/controller/${_f})
  endif()
endforeach()
if("store.c" IN_LIST _van_shell_sources)
  van_unit_test(test_store SOURCES ${_van_store_sources} LIBS vanshell)
else()
  van_unit_test(test_store SOURCES ${_van_store_sources}
    LIBS PkgConfig::SQLITE PkgConfig::JANSSON m)
endif()
