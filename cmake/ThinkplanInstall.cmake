# `cmake --install build [--prefix P]` and `cpack` (a .deb) lay thinkplan out as a command-line tool:
#   bin/thinkplan                          the executable
#   bin/thinkplan-mpi                      the MPI executable, where MPI was found (docs/scale.md)
#   lib/thinkplan/libthinkplan_cuda.so     the CUDA plugin `measure` loads (CUDA builds only)
#   share/thinkplan/data/                  the shipped data, with their sources and licences
#   share/thinkplan/report_web/            the pinned chart runtime the HTML report embeds (vega, vega-lite,
#                                          vega-embed: their builds, licences and package.json)
#   share/doc/thinkplan/                   README and docs/
# The executable finds data/ and report_web/ relative to its own location (cli/command.cpp DefaultDataDir,
# reports/web_runtime.cpp), so the tree works wherever it is put; THINKPLAN_DATA_DIR overrides.
# Everything but thinkplan-mpi is the `thinkplan` component; thinkplan-mpi is its own (`mpi`), so that the .deb of
# thinkplan never depends on Open MPI: thinkplan itself never needs MPI at run time.
set(CMAKE_INSTALL_DEFAULT_COMPONENT_NAME thinkplan)
install(TARGETS thinkplan RUNTIME DESTINATION bin)
if(TARGET thinkplan_cuda)
  install(TARGETS thinkplan_cuda LIBRARY DESTINATION lib/thinkplan)
endif()
if(TARGET thinkplan-mpi)
  install(TARGETS thinkplan-mpi RUNTIME DESTINATION bin COMPONENT mpi)
endif()

install(DIRECTORY data/ DESTINATION share/thinkplan/data
        PATTERN "__pycache__" EXCLUDE PATTERN "*.pyc" EXCLUDE)

# The chart runtime comes from scripts/install-web-deps.sh (npm ci of reports/web/package-lock.json). Without it
# the install still succeeds and `thinkplan report` says where it looked, as it does in a build tree.
set(_web ${PROJECT_SOURCE_DIR}/reports/web/node_modules)
foreach(_package vega vega-lite vega-embed)
  install(FILES ${_web}/${_package}/build/${_package}.min.js
          DESTINATION share/thinkplan/report_web/node_modules/${_package}/build OPTIONAL)
  install(FILES ${_web}/${_package}/LICENSE ${_web}/${_package}/package.json
          DESTINATION share/thinkplan/report_web/node_modules/${_package} OPTIONAL)
endforeach()

install(FILES README.md DESTINATION share/doc/thinkplan)
install(DIRECTORY docs/ DESTINATION share/doc/thinkplan/docs)

# cpack -G DEB in the build folder writes thinkplan_<version>_<arch>.deb, and where MPI was found also
# thinkplan-mpi_<version>_<arch>.deb (bin/thinkplan-mpi alone, depending on thinkplan of the same version and on
# Open MPI and Boost.MPI). Their dependencies come from
# dpkg-shlibdeps (the Debian packages of the shared libraries the executable links); the CUDA plugin's
# libraries (cudart, cuBLAS) are not Debian packages here and are left to the CUDA toolkit's own install.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME thinkplan)
set(CPACK_PACKAGE_VENDOR "thinkplan")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_CONTACT "thinkplan maintainers <thinkplan@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_BINARY_DIR})
if(TARGET thinkplan-mpi)
  set(CPACK_DEB_COMPONENT_INSTALL ON)
  set(CPACK_COMPONENTS_ALL thinkplan mpi)
  set(CPACK_DEBIAN_THINKPLAN_PACKAGE_NAME thinkplan)
  set(CPACK_DEBIAN_MPI_PACKAGE_NAME thinkplan-mpi)
  set(CPACK_DEBIAN_MPI_PACKAGE_DEPENDS "thinkplan (= ${PROJECT_VERSION})")
endif()
include(CPack)
