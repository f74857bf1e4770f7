# vanbase's shell (vanbase/vb*.c): the whole path with every part real -
# vanctld as the van, mosquitto, vanbase, a webhook receiver, aiosmtpd and a
# command hook (it_95).
if(TARGET vanbase)
  van_integration_test(it_95_vanbase it_95_vanbase.sh TIMEOUT 180)
  set_tests_properties(it_95_vanbase PROPERTIES LABELS "integration;vanbase")
endif()
if(TARGET vanbase)
  van_integration_test(it_94_vanbase_config it_94_vanbase_config.sh)
  set_tests_properties(it_94_vanbase_config PROPERTIES LABELS "integration;vanbase")
endif()
# vanbase's database on real SQLite files
if(TARGET vbshell)
  van_unit_test(test_vbstore SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_vbstore.c LIBS vbshell)
endif()
# vanbase's own Debian package (cmake/packaging-vanbase.cmake)
if(TARGET vanbase)
  van_integration_test(it_72_vanbase_package it_72_vanbase_package.sh TIMEOUT 300)
  set_tests_properties(it_72_vanbase_package PROPERTIES LABELS "integration;vanbase;package" SKIP_RETURN_CODE 77)
endif()
