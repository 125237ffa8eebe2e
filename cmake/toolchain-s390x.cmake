# 64-bit big-endian IBM Z Linux (Debian s390x), run under qemu-s390x.
set(CMAKE_SYSTEM_PROCESSOR s390x)
set(OTA_CROSS_TRIPLE s390x-linux-gnu)
set(OTA_CROSS_QEMU s390x)
include(${CMAKE_CURRENT_LIST_DIR}/cross-linux.cmake)
