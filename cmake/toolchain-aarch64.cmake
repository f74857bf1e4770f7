# cmake/toolchain-aarch64.cmake - cross-build for 64-bit Raspberry Pi OS
# (arm64) on a Debian amd64 machine, with Debian's multiarch:
#
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install crossbuild-essential-arm64 qemu-user-static \
#     libgpiod-dev:arm64 libmosquitto-dev:arm64 ... (scripts/cross-arm64.sh does it all)
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake
#
# Headers and libraries come from the :arm64 packages (/usr/include/aarch64-linux-gnu,
# /usr/lib/aarch64-linux-gnu), found by pkg-config through PKG_CONFIG_LIBDIR.
# Test programs run under qemu-user (CMAKE_CROSSCOMPILING_EMULATOR), so
# `ctest -L unit` works on the build machine; no binfmt_misc needed.
# VAN_CROSS_EMULATOR overrides the emulator (e.g. "qemu-aarch64;-L;/some/sysroot").
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(VAN_CROSS_TRIPLE aarch64-linux-gnu)

set(CMAKE_C_COMPILER ${VAN_CROSS_TRIPLE}-gcc)

# Libraries and headers: the target's only; programs: the build machine's.
set(CMAKE_LIBRARY_ARCHITECTURE ${VAN_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

# pkg-config: the arm64 .pc files, plus the arch-independent ones (systemd.pc).
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${VAN_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

if(DEFINED ENV{VAN_CROSS_EMULATOR})
  set(CMAKE_CROSSCOMPILING_EMULATOR "$ENV{VAN_CROSS_EMULATOR}")
else()
  find_program(VAN_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
  if(VAN_QEMU_AARCH64)
    # The arm64 loader and libraries are installed in / by multiarch
    # (/lib/ld-linux-aarch64.so.1, /usr/lib/aarch64-linux-gnu): no -L needed.
    set(CMAKE_CROSSCOMPILING_EMULATOR "${VAN_QEMU_AARCH64}")
  endif()
endif()
