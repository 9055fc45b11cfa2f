# FindGAP
# -------
# Finds the GAP library (libgap, GAP 4.12) and the GAP root directory that holds
# GAP's own library files (lib/init.g).
#
# Result variables:
#   GAP_FOUND, GAP_INCLUDE_DIR, GAP_LIBRARY, GAP_ROOT
# Imported target:
#   GAP::libgap
#
# GAP_ROOT can be given on the command line; otherwise it is searched in the
# usual install locations. The library records it as its default; at run time
# the environment variable ASEN_GAP_ROOT overrides it.

find_path(GAP_INCLUDE_DIR NAMES gap/libgap-api.h)
find_library(GAP_LIBRARY NAMES gap)

if(NOT GAP_ROOT)
  find_path(GAP_ROOT NAMES lib/init.g
    PATHS /usr/share/gap /usr/local/share/gap /usr/lib/gap /opt/gap
    NO_DEFAULT_PATH)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(GAP
  REQUIRED_VARS GAP_LIBRARY GAP_INCLUDE_DIR GAP_ROOT)

if(GAP_FOUND AND NOT TARGET GAP::libgap)
  add_library(GAP::libgap UNKNOWN IMPORTED)
  set_target_properties(GAP::libgap PROPERTIES
    IMPORTED_LOCATION "${GAP_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${GAP_INCLUDE_DIR}")
endif()
mark_as_advanced(GAP_INCLUDE_DIR GAP_LIBRARY)
