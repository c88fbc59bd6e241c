# Third-party dependencies. Debian packages come from scripts/setup.sh; DuckDB
# comes from the npm registry into a cache folder outside the repository.

find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(CURL REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(GTest REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)

set(CORAL_DUCKDB_VERSION "1.5.6" CACHE STRING "DuckDB library version fetched by scripts/setup.sh")
if(DEFINED ENV{CORAL_CACHE})
  set(_coral_cache "$ENV{CORAL_CACHE}")
else()
  set(_coral_cache "$ENV{HOME}/.cache/coral")
endif()
set(DUCKDB_ROOT "${_coral_cache}/duckdb/${CORAL_DUCKDB_VERSION}" CACHE PATH "Folder with include/duckdb.h and lib/libduckdb.so")
find_path(DUCKDB_INCLUDE_DIR duckdb.h PATHS ${DUCKDB_ROOT}/include NO_DEFAULT_PATH)
find_library(DUCKDB_LIBRARY duckdb PATHS ${DUCKDB_ROOT}/lib NO_DEFAULT_PATH)
if(NOT DUCKDB_INCLUDE_DIR OR NOT DUCKDB_LIBRARY)
  message(FATAL_ERROR "DuckDB not found under ${DUCKDB_ROOT}; run scripts/setup.sh first")
endif()
add_library(duckdb SHARED IMPORTED)
set_target_properties(duckdb PROPERTIES
  IMPORTED_LOCATION ${DUCKDB_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${DUCKDB_INCLUDE_DIR})
# The library lives in the cache folder; binaries find it through their RPATH.
set(CMAKE_BUILD_RPATH "${DUCKDB_ROOT}/lib")
