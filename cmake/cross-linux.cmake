# Common part of the cross toolchain files (cmake/toolchain-*.cmake): a Debian
# cross gcc (gcc-<triple>) that finds the target's multiarch libraries
# (libcmocka-dev:<arch>, libmbedtls-dev:<arch> in /usr/lib/<triple>), and
# qemu-user to run the test programs (ctest prefixes every test command with
# CMAKE_CROSSCOMPILING_EMULATOR). The target's libc6 is installed through
# multiarch, so qemu finds its dynamic loader at the usual path without -L.
# The including file sets CMAKE_SYSTEM_PROCESSOR, OTA_CROSS_TRIPLE and OTA_CROSS_QEMU.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${OTA_CROSS_TRIPLE}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${OTA_CROSS_TRIPLE})
find_program(OTA_QEMU_USER qemu-${OTA_CROSS_QEMU} REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR ${OTA_QEMU_USER})
