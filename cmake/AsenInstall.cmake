# Install rules and the exported CMake package: downstream projects use
#   find_package(asen REQUIRED)
#   target_link_libraries(app PRIVATE asen::algebra)   # or asen::graph, asen::nn
include(CMakePackageConfigHelpers)

set(ASEN_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/asen")
set(ASEN_EXPORTED_TARGETS asen_algebra asen_graph)
set(ASEN_INSTALLED_HEADERS algebra/include/asen graph/include/asen)
# The nn layer (LibTorch) when it is built: its package then needs Torch too.
if(TARGET asen_nn)
  list(APPEND ASEN_EXPORTED_TARGETS asen_nn)
  list(APPEND ASEN_INSTALLED_HEADERS nn/include/asen)
  set(ASEN_PACKAGE_HAS_NN ON)
else()
  set(ASEN_PACKAGE_HAS_NN OFF)
endif()

install(TARGETS ${ASEN_EXPORTED_TARGETS} EXPORT asenTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${ASEN_INSTALLED_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT asenTargets NAMESPACE asen:: DESTINATION ${ASEN_INSTALL_CMAKEDIR})
install(FILES cmake/FindGAP.cmake cmake/FindNauty.cmake DESTINATION ${ASEN_INSTALL_CMAKEDIR})

configure_package_config_file(cmake/asenConfig.cmake.in
  "${CMAKE_CURRENT_BINARY_DIR}/asenConfig.cmake"
  INSTALL_DESTINATION ${ASEN_INSTALL_CMAKEDIR})
write_basic_package_version_file("${CMAKE_CURRENT_BINARY_DIR}/asenConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_CURRENT_BINARY_DIR}/asenConfig.cmake"
  "${CMAKE_CURRENT_BINARY_DIR}/asenConfigVersion.cmake"
  DESTINATION ${ASEN_INSTALL_CMAKEDIR})
