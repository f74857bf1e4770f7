# Running on the Pi: systemd units, udev rule, the Debian package.
#
#   it_70_units_verify  `systemd-analyze verify` on systemd/*.service (copies
#                       whose /usr/{s,}bin/van* paths point at the built
#                       binaries: verify insists that ExecStart exists) and
#                       `systemd-analyze security --offline` under a threshold.
#                       Any warning fails it.  Skipped (77) without systemd-analyze.
#   it_71_package       builds the .deb with cpack, installs it with dpkg -i on
#                       THIS machine, checks user, groups, permissions, conffile,
#                       --check-config as the service user, the daemon's files
#                       as the service user, reinstall, then dpkg -r and dpkg -P.
#                       Root only; skipped (77) when not root, without dpkg, or
#                       when a vanctld package is already installed (it would be
#                       removed); VAN_SKIP_PACKAGE=1 skips it.  Not registered
#                       in sanitizer builds (the package would carry ASan).
#                       Label "package" as well as "integration".
van_integration_test(it_70_units_verify it_70_units_verify.sh TIMEOUT 120)
set_tests_properties(it_70_units_verify PROPERTIES SKIP_RETURN_CODE 77)

if(NOT VAN_SANITIZE AND NOT VAN_FUZZ)
  van_integration_test(it_71_package it_71_package.sh TIMEOUT 600)
  set_tests_properties(it_71_package PROPERTIES SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
  set_property(TEST it_71_package APPEND PROPERTY LABELS package)
endif()
