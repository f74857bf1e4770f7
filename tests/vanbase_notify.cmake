# vanbase's notification channels (vanbase/notify/): the templates and the
# e-mail message as pure functions (cmocka), and every channel against real
# receivers on loopback (it_9x: a Python HTTP receiver that can be told to
# fail, Debian's aiosmtpd with STARTTLS, real hook programs), driven by
# vb_notify_drive in the real loop.
if(TARGET vbnotify)
  van_unit_test(test_vb_notify SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_vb_notify.c
    LIBS vbnotify)
  # the pure builders are internal (notify_impl.h)
  target_include_directories(test_vb_notify PRIVATE ${CMAKE_SOURCE_DIR}/vanbase/notify)
  van_unit_test(test_vb_notify_vtime SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_vb_notify_vtime.c
    LIBS vbnotify)
  add_executable(vb_notify_drive ${CMAKE_SOURCE_DIR}/tests/integration/vb_notify_drive.c)
  target_link_libraries(vb_notify_drive PRIVATE vbnotify)
  van_integration_test(it_90_notify_webhooks it_90_notify_webhooks.sh TIMEOUT 120)
  van_integration_test(it_91_notify_email it_91_notify_email.sh TIMEOUT 120)
  van_integration_test(it_92_notify_failures it_92_notify_failures.sh TIMEOUT 120)
  van_integration_test(it_93_notify_command it_93_notify_command.sh TIMEOUT 120)
  set_tests_properties(it_90_notify_webhooks it_91_notify_email it_92_notify_failures
    it_93_notify_command PROPERTIES LABELS "integration;vanbase")
endif()
