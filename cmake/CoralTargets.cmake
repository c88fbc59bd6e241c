# Helpers that give every Coral target the same flags and test wiring.

function(coral_warnings target)
  # Designated initializers (`{.url = ...}`) leave the rest defaulted on purpose.
  # -Wrestrict misfires on std::string concatenation in g++ 12 at -O2/-O3
  # (GCC bug 105329), so optimized builds would fail on correct code.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers
                                           -Wno-restrict)
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
