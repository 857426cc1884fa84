# Shared build helpers.

# Warnings for our own code (not third-party headers).
function(faceg2e_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-unused-parameter)
endfunction()

# A static library of ours that uses LibTorch. <torch/torch.h> is precompiled once per
# target: it halves the ~14 s a torch translation unit costs.
function(faceg2e_torch_library target)
  add_library(${target} STATIC ${ARGN})
  target_link_libraries(${target} PUBLIC ${TORCH_LIBRARIES})
  target_include_directories(${target} PUBLIC ${CMAKE_SOURCE_DIR} ${TORCH_INCLUDE_DIRS})
  target_precompile_headers(${target} PRIVATE <torch/torch.h>)
  faceg2e_warnings(${target})
endfunction()

# Only add a subdirectory that has a CMakeLists.txt yet (modules land one by one).
function(faceg2e_optional_subdirectory dir)
  if(EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/${dir}/CMakeLists.txt")
    add_subdirectory(${dir})
  endif()
endfunction()

# A GoogleTest executable registered with ctest. Tests find ../shared through
# FACEG2E_SHARED_DIR (compile definition; the environment variable of the same name wins).
function(faceg2e_add_test target)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main Threads::Threads)
  target_compile_definitions(${target} PRIVATE
    FACEG2E_SHARED_DIR="${FACEG2E_SHARED_DIR}"
    FACEG2E_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
    FACEG2E_BINARY_DIR="${CMAKE_BINARY_DIR}")
  faceg2e_warnings(${target})
  include(GoogleTest)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  gtest_discover_tests(${target} DISCOVERY_TIMEOUT 120 PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()
