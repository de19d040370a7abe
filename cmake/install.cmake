# `cmake --install`: the wbsim executable, the public headers, the libraries
# and the CMake package (find_package(wbsim), wbsim_add_scenarios), so that
# scenarios can be written and built outside this tree.
include(CMakePackageConfigHelpers)

set(WBSIM_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/wbsim)

install(TARGETS wbsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The targets as wbsim::NAME. scenarios and main are OBJECT libraries: their
# objects install as objects, so every static registration and main() reach
# the executables the package builds (an archive would let the linker drop
# registration files nothing references).
set_target_properties(wbsim_sim PROPERTIES EXPORT_NAME sim)
set_target_properties(wbsim_model PROPERTIES EXPORT_NAME model)
set_target_properties(wbsim_checkers PROPERTIES EXPORT_NAME checkers)
set_target_properties(wbsim_fsx PROPERTIES EXPORT_NAME fsx)
set_target_properties(wbsim_fsx_engine PROPERTIES EXPORT_NAME fsx_engine)
set_target_properties(wbsim_bench_kernels PROPERTIES EXPORT_NAME bench_kernels)
set_target_properties(wbsim_scenarios PROPERTIES EXPORT_NAME scenarios)
set_target_properties(wbsim_pictures PROPERTIES EXPORT_NAME pictures)
set_target_properties(wbsim_main PROPERTIES EXPORT_NAME main)
install(TARGETS wbsim_sim wbsim_model wbsim_checkers wbsim_fsx wbsim_fsx_engine wbsim_bench_kernels
                wbsim_pictures wbsim_scenarios wbsim_main
        EXPORT wbsimTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        OBJECTS DESTINATION ${CMAKE_INSTALL_LIBDIR}/wbsim/objects)
install(EXPORT wbsimTargets NAMESPACE wbsim:: DESTINATION ${WBSIM_PACKAGE_DIR})

# Headers, folder by folder (install(DIRECTORY) would also create the
# folders that hold only sources, e.g. scenarios/netfs/).
foreach(dir sim model checkers scenarios fsx)
  file(GLOB_RECURSE headers RELATIVE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/${dir}/*.h)
  foreach(header ${headers})
    get_filename_component(subdir ${header} DIRECTORY)
    install(FILES ${header} DESTINATION ${WBSIM_INSTALL_INCLUDEDIR}/${subdir})
  endforeach()
endforeach()

configure_package_config_file(cmake/wbsimConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/wbsimConfig.cmake
                              INSTALL_DESTINATION ${WBSIM_PACKAGE_DIR})
# 0.x: a new minor version may change the headers scenarios are written against.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/wbsimConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/wbsimConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/wbsimConfigVersion.cmake
              cmake/wbsimAddScenarios.cmake
        DESTINATION ${WBSIM_PACKAGE_DIR})
