# Builds the libraries and the CLI for one variant suffix ("" or "-asan").
#   ota_core<v>  portable core: src/*.c            (no malloc, no OS)
#   ota_port<v>  host ports:    port/*.c           (flash simulator, mbedTLS hash)
#   ota_net<v>   host download engine: net/*.c (libcurl, include/ota/net.h)
#   ota_tool<v>  host tooling:  tools/*.c but main (CSV, JSON, file helpers)
#   ota<v>       the CLI, written to ${CMAKE_BINARY_DIR}/ota (asan: asan/ota)

find_package(CURL REQUIRED)

function(ota_variant_flags target v)
  target_compile_options(${target} PRIVATE ${OTA_WARN})
  if(v STREQUAL "-asan")
    target_compile_options(${target} PRIVATE ${OTA_SAN_FLAGS})
    target_link_options(${target} PUBLIC ${OTA_SAN_FLAGS})
  endif()
endfunction()

function(ota_add_variant v)
  file(GLOB core_src CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/*.c)
  add_library(ota_core${v} STATIC ${core_src})
  target_include_directories(ota_core${v} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  ota_variant_flags(ota_core${v} "${v}")

  file(GLOB port_src CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/port/*.c)
  add_library(ota_port${v} STATIC ${port_src})
  target_include_directories(ota_port${v} PUBLIC ${PROJECT_SOURCE_DIR}/port/include ${MBEDTLS_INCLUDE})
  # 64-bit off_t/ino_t on 32-bit hosts too: under qemu-user the host kernel's
  # 64-bit inode numbers and directory cookies make a 32-bit readdir() fail.
  target_compile_definitions(ota_port${v} PUBLIC _GNU_SOURCE _FILE_OFFSET_BITS=64)
  target_link_libraries(ota_port${v} PUBLIC ota_core${v} ${MBEDCRYPTO_LIB})
  ota_variant_flags(ota_port${v} "${v}")

  file(GLOB net_src CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/net/*.c)
  add_library(ota_net${v} STATIC ${net_src})
  target_link_libraries(ota_net${v} PUBLIC ota_port${v} CURL::libcurl)
  ota_variant_flags(ota_net${v} "${v}")

  file(GLOB tool_src CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tools/*.c)
  list(FILTER tool_src EXCLUDE REGEX "/main\\.c$")
  add_library(ota_tool${v} STATIC ${tool_src})
  target_include_directories(ota_tool${v} PUBLIC ${PROJECT_SOURCE_DIR}/tools)
  target_link_libraries(ota_tool${v} PUBLIC ota_port${v} ota_net${v})
  ota_variant_flags(ota_tool${v} "${v}")

  add_executable(ota${v} ${PROJECT_SOURCE_DIR}/tools/main.c)
  target_link_libraries(ota${v} PRIVATE ota_tool${v})
  set_target_properties(ota${v} PROPERTIES OUTPUT_NAME ota)
  if(v STREQUAL "-asan")
    set_target_properties(ota${v} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/asan)
  else()
    set_target_properties(ota${v} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
  endif()
  ota_variant_flags(ota${v} "${v}")
endfunction()
