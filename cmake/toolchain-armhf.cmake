# 32-bit little-endian ARM Linux (Debian armhf), run under qemu-arm.
set(CMAKE_SYSTEM_PROCESSOR arm)
set(OTA_CROSS_TRIPLE arm-linux-gnueabihf)
set(OTA_CROSS_QEMU arm)
include(${CMAKE_CURRENT_LIST_DIR}/cross-linux.cmake)
