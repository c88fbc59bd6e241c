# Helpers that give every Coral target the same flags and test wiring.

function(coral_warnings target)
  # Designated initializers (`{.url = ...}`) leave the rest defaulted on purpose.
  # -Wrestrict misfires on std::string concatenation in g++ 12 at -O2/-O3
  # (GCC bug 105329), so optimized builds would fail on correct code.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers
                                           $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
endfunction()

# coral_library(NAME SOURCES ... DEPS ...): one library per src/ folder.
function(coral_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  coral_warnings(${name})
endfunction()

# coral_test(NAME SOURCES ... DEPS ... [LABELS ...]): a GoogleTest binary run by ctest.
function(coral_test name)
  if(NOT CORAL_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  coral_warnings(${name})
  # Tests are `unit` unless labelled otherwise (e2e, root, peer, ...). Only one
  # label survives gtest_discover_tests' PROPERTIES (it re-splits lists); a
  # folder whose tests all carry more sets the DIRECTORY property LABELS.
  if(ARG_LABELS)
    list(GET ARG_LABELS 0 labels)
  else()
    set(labels unit)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${labels}" DISCOVERY_TIMEOUT 60)
endfunction()

# coral_fuzz_target(NAME SOURCE file DEPS ... [ITERATIONS n]): a fuzz target
# (tests/fuzz/fuzz_target.h) whose seed corpus is the folder fuzz/corpus/NAME
# beside SOURCE. Every build runs it as the test fuzz_smoke_NAME (seeds, then
# ITERATIONS mutations, default 20000); with -DCORAL_FUZZ=ON (clang) it is
# also the libFuzzer binary fuzz_NAME.
function(coral_fuzz_target name)
  if(NOT CORAL_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "SOURCE;ITERATIONS" "DEPS" ${ARGN})
  if(NOT ARG_ITERATIONS)
    set(ARG_ITERATIONS 20000)
  endif()
  get_filename_component(_dir ${ARG_SOURCE} DIRECTORY)
  if(NOT IS_ABSOLUTE "${_dir}")
    set(_dir ${CMAKE_CURRENT_SOURCE_DIR}/${_dir})
  endif()
  set(_corpus ${_dir}/corpus/${name})
  add_executable(fuzz_smoke_${name} ${ARG_SOURCE} ${CMAKE_SOURCE_DIR}/tests/fuzz/smoke_main.cc)
  target_include_directories(fuzz_smoke_${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/fuzz)
  target_link_libraries(fuzz_smoke_${name} PRIVATE ${ARG_DEPS})
  coral_warnings(fuzz_smoke_${name})
  add_test(NAME fuzz_smoke_${name} COMMAND fuzz_smoke_${name} ${_corpus} ${ARG_ITERATIONS})
  set_tests_properties(fuzz_smoke_${name} PROPERTIES LABELS fuzz TIMEOUT 600)
  if(CORAL_FUZZ)
    add_executable(fuzz_${name} ${ARG_SOURCE} ${CMAKE_SOURCE_DIR}/tests/fuzz/libfuzzer_main.cc)
    target_include_directories(fuzz_${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/fuzz)
    target_link_libraries(fuzz_${name} PRIVATE ${ARG_DEPS})
    target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  endif()
endfunction()
