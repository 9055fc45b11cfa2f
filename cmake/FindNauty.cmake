# FindNauty
# ---------
# Finds nauty and Traces (nauty 2.8, Debian's libnauty2-dev). Debian ships
# several builds; asen uses the one with 64-bit setwords and dynamic sizes
# (libnautyL0: WORDSIZE=64, MAXN=0), and its users must compile with the same
# two definitions, which the imported target carries.
#
# Result variables: Nauty_FOUND, Nauty_INCLUDE_DIRS, Nauty_LIBRARY
# Imported target:  Nauty::nauty

find_path(Nauty_INCLUDE_DIR NAMES nauty.h PATH_SUFFIXES nauty x86_64-linux-gnu/nauty)
find_path(Nauty_TRACES_INCLUDE_DIR NAMES traces.h PATH_SUFFIXES nauty)
find_library(Nauty_LIBRARY NAMES nautyL0)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Nauty
  REQUIRED_VARS Nauty_LIBRARY Nauty_INCLUDE_DIR Nauty_TRACES_INCLUDE_DIR)

if(Nauty_FOUND)
  set(Nauty_INCLUDE_DIRS ${Nauty_INCLUDE_DIR} ${Nauty_TRACES_INCLUDE_DIR})
  if(NOT TARGET Nauty::nauty)
    add_library(Nauty::nauty UNKNOWN IMPORTED)
    set_target_properties(Nauty::nauty PROPERTIES
      IMPORTED_LOCATION "${Nauty_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${Nauty_INCLUDE_DIRS}"
      INTERFACE_COMPILE_DEFINITIONS "WORDSIZE=64;MAXN=0")
  endif()
endif()
mark_as_advanced(Nauty_INCLUDE_DIR Nauty_TRACES_INCLUDE_DIR Nauty_LIBRARY)
