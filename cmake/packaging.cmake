# cmake/packaging.cmake - what `cmake --install` puts where, and the Debian
# package built from it with CPack (`cpack -G DEB` in the build directory).
# Included at the end of the top-level CMakeLists.txt, after every target.
#
# The package's layout is the Debian one, whatever CMAKE_INSTALL_PREFIX is:
#   /usr/sbin/vanctld, /usr/bin/vanctl, /usr/bin/vandisplay   (binaries built)
#   <unitdir>/vanctld.service [vandisplay.service]             systemd units
#   <udevdir>/rules.d/60-vanctld-gpio.rules                    GPIO group rule
#   /etc/vanctld/vanctld.conf                                  conffile (the example)
#   /usr/share/doc/vanctld/...                                 README, docs, examples
#   /usr/share/vanctld/base/                                   base console (if present)
# <unitdir> is systemd's own (pkg-config systemd systemdsystemunitdir: /lib/...
# on Debian 12, /usr/lib/... on Debian 13), so a package built on (or for) a
# release matches it.  Override with -DVAN_SYSTEMD_UNITDIR= / -DVAN_UDEV_RULESDIR=.
#
# The units name /usr/sbin/vanctld: the package (CPACK_PACKAGING_INSTALL_PREFIX
# /usr) is the supported install; a `cmake --install` to another prefix needs
# a drop-in for ExecStart.
#
# Maintainer scripts: packaging/debian/{postinst,prerm,postrm}.  Depends are
# computed by dpkg-shlibdeps (CPACK_DEBIAN_PACKAGE_SHLIBDEPS) plus adduser.
# Cross builds (cmake/toolchain-aarch64.cmake) produce an arm64 package.
include(GNUInstallDirs)

# ---- where systemd and udev want their files ----
if(NOT DEFINED VAN_SYSTEMD_UNITDIR)
  set(_van_unitdir "")
  if(PKG_CONFIG_FOUND)
    pkg_get_variable(_van_unitdir systemd systemdsystemunitdir)
  endif()
  if(NOT _van_unitdir)
    set(_van_unitdir /lib/systemd/system)
  endif()
  set(VAN_SYSTEMD_UNITDIR ${_van_unitdir} CACHE PATH "Where the package installs systemd units")
endif()
if(NOT DEFINED VAN_UDEV_RULESDIR)
  set(_van_udevdir "")
  if(PKG_CONFIG_FOUND)
    pkg_get_variable(_van_udevdir udev udevdir)
  endif()
  if(NOT _van_udevdir)
    # follow systemd: /usr/lib/... on a merged-/usr release's systemd.pc
    if(VAN_SYSTEMD_UNITDIR MATCHES "^/usr/")
      set(_van_udevdir /usr/lib/udev)
    else()
      set(_van_udevdir /lib/udev)
    endif()
  endif()
  set(VAN_UDEV_RULESDIR ${_van_udevdir}/rules.d CACHE PATH "Where the package installs udev rules")
endif()
set(VAN_SYSCONFDIR /etc/vanctld)
set(VAN_DOCDIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/vanctld)
set(VAN_DATADIR ${CMAKE_INSTALL_DATAROOTDIR}/vanctld)

# ---- binaries (vanctld's own rule is in controller/; the others are added
# here when their targets exist) ----
foreach(_t vanctl vandisplay)
  if(TARGET ${_t})
    install(TARGETS ${_t} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  endif()
endforeach()

# ---- systemd units, udev rule ----
foreach(_u vanctld.service vandisplay.service)
  if(EXISTS ${CMAKE_SOURCE_DIR}/systemd/${_u})
    install(FILES ${CMAKE_SOURCE_DIR}/systemd/${_u} DESTINATION ${VAN_SYSTEMD_UNITDIR})
  endif()
endforeach()
install(FILES ${CMAKE_SOURCE_DIR}/systemd/60-vanctld-gpio.rules DESTINATION ${VAN_UDEV_RULESDIR})

# ---- configuration: the example becomes the conffile (dpkg marks every
# file under /etc a conffile), 0640 from the start; postinst gives it to
# root:vanctl.  An empty plans folder (session.plans_dir's default). ----
install(FILES ${CMAKE_SOURCE_DIR}/config/vanctld.conf.example
  DESTINATION ${VAN_SYSCONFDIR} RENAME vanctld.conf
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(DIRECTORY DESTINATION ${VAN_SYSCONFDIR}/plans)

# ---- documentation and examples ----
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${VAN_DOCDIR})
file(GLOB _van_docs ${CMAKE_SOURCE_DIR}/docs/*.md)
if(_van_docs)
  install(FILES ${_van_docs} DESTINATION ${VAN_DOCDIR})
endif()
install(FILES ${CMAKE_SOURCE_DIR}/config/vanctld.conf.example DESTINATION ${VAN_DOCDIR}/examples)
foreach(_f lines-pi.conf)
  if(EXISTS ${CMAKE_SOURCE_DIR}/config/${_f})
    install(FILES ${CMAKE_SOURCE_DIR}/config/${_f} DESTINATION ${VAN_DOCDIR}/examples)
  endif()
endforeach()
if(IS_DIRECTORY ${CMAKE_SOURCE_DIR}/config/mosquitto)
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/config/mosquitto/ DESTINATION ${VAN_DOCDIR}/examples/mosquitto)
endif()
# The base console: its built site (base/dist) if there is one at configure
# time, else its sources (base/src).
foreach(_d dist src)
  if(IS_DIRECTORY ${CMAKE_SOURCE_DIR}/base/${_d})
    install(DIRECTORY ${CMAKE_SOURCE_DIR}/base/${_d}/ DESTINATION ${VAN_DATADIR}/base)
    break()
  endif()
endforeach()

# ---- CPack: one Debian package ----
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "vanctld")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "vanctld project")
set(VAN_PACKAGE_MAINTAINER "vanctld maintainers <vanctld@localhost>" CACHE STRING
  "Maintainer field of the Debian package")
set(CPACK_PACKAGE_CONTACT "${VAN_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "street-outreach van controller: GPS, doors, occupancy, panic buttons, sessions")
set(CPACK_PACKAGE_DESCRIPTION "vanctld runs on the Raspberry Pi in a street-outreach van. It reads
GPS from gpsd and door, entry-beam, button and panic inputs through
libgpiod; enforces the van's occupancy limit; times sessions, stops and
check-ins; records the route to SQLite and reports status, location and
emergencies to base over MQTT. It records counts only: nothing that
identifies a service user.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES TRUE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "misc")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS OFF)
# shlibdeps' result is appended to these
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gpsd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "gpsd-clients, mosquitto-clients")
# CPack does not mark files under /etc as conffiles by itself: list them.
file(WRITE ${CMAKE_BINARY_DIR}/packaging/conffiles "${VAN_SYSCONFDIR}/vanctld.conf\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_BINARY_DIR}/packaging/conffiles
  ${CMAKE_SOURCE_DIR}/packaging/debian/postinst
  ${CMAKE_SOURCE_DIR}/packaging/debian/prerm
  ${CMAKE_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

if(CMAKE_CROSSCOMPILING)
  # dpkg --print-architecture would name the build machine's
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^arm")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE armhf)
  endif()
endif()

include(CPack)
