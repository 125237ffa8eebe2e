# The tests' support library and the power-loss runner, for one variant suffix:
#   ota_testsupport<v>  tests/support/*.c: simulated devices, test images,
#                       cmocka assertions (the runner's devices use them too)
#   ota_powercut<v>     tests/powercut/*.c but main: the power-loss runner
# Defined here, not in tests/, because `make bench` (tests off) times the
# runner as well (bench/bench_powercut.c); tests/ adds the programs.
find_library(CMOCKA_LIB cmocka REQUIRED)
find_path(CMOCKA_INCLUDE cmocka.h REQUIRED)

function(ota_add_test_libs v)
  set(dir ${PROJECT_SOURCE_DIR}/tests)
  file(GLOB support_src CONFIGURE_DEPENDS ${dir}/support/*.c)
  add_library(ota_testsupport${v} STATIC ${support_src})
  target_include_directories(ota_testsupport${v} PUBLIC ${dir}/support ${CMOCKA_INCLUDE})
  target_compile_definitions(ota_testsupport${v} PUBLIC
    OTA_VECTORS_DIR="${OTA_VECTORS_DIR}"
    OTA_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    OTA_BINARY_DIR="${CMAKE_BINARY_DIR}")
  target_link_libraries(ota_testsupport${v} PUBLIC ota_tool${v} esp_idf${v} ${CMOCKA_LIB})
  ota_variant_flags(ota_testsupport${v} "${v}")

  file(GLOB pc_src CONFIGURE_DEPENDS ${dir}/powercut/*.c)
  list(FILTER pc_src EXCLUDE REGEX "/main\\.c$")
  add_library(ota_powercut${v} STATIC ${pc_src})
  target_include_directories(ota_powercut${v} PUBLIC ${dir}/powercut)
  target_link_libraries(ota_powercut${v} PUBLIC ota_testsupport${v})
  ota_variant_flags(ota_powercut${v} "${v}")
endfunction()
