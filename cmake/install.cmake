# SPDX-License-Identifier: BSD-2-Clause
# Installation and packaging: systemd units, the shipped configuration, the
# manuals, the README and a Debian package (cpack -G DEB). Included by the
# top-level CMakeLists.txt; the binaries' own install() rules live beside them.
#
# Paths baked into the units come from this build's CMAKE_INSTALL_PREFIX, so
# a distribution build configures with -DCMAKE_INSTALL_PREFIX=/usr (which also
# puts the configuration in /etc/smalld, see GNUInstallDirs).

include(${CMAKE_CURRENT_LIST_DIR}/systemd_unitdir.cmake)

# An install() DESTINATION for the absolute directory DIR: relative to the
# prefix when DIR lies inside it (the /usr/local case), so that DESTDIR,
# "cmake --install --prefix" and CPack's staging all follow; absolute when it
# does not (/etc and /lib/systemd/system for the /usr prefix, where
# GNUInstallDirs and systemd's pkg-config file put them).
function(smalld_install_destination out dir)
  cmake_path(IS_PREFIX CMAKE_INSTALL_PREFIX "${dir}" NORMALIZE inside)
  if(inside AND NOT CMAKE_INSTALL_PREFIX STREQUAL "/")
    file(RELATIVE_PATH dir "${CMAKE_INSTALL_PREFIX}" "${dir}")
  endif()
  set(${out} "${dir}" PARENT_SCOPE)
endfunction()

# Units: the service is a template (binary and configuration paths); the
# socket units are generated from the service catalogue by smalld-units
# (daemon/core/unit_generator.cpp), one per type that listens, binding what
# the shipped smalld.ini binds, and smalld.socket (the status instance) pulls
# in the others. All land in <build>/systemd, where the tests in
# tests/systemd find them too, with socket-units.txt listing the socket units.
get_filename_component(SMALLD_CONFIG_DIR "${SMALLD_CONFIG_PATH}" DIRECTORY)
configure_file(${CMAKE_SOURCE_DIR}/systemd/smalld.service.in
               ${CMAKE_BINARY_DIR}/systemd/smalld.service @ONLY)
set(SMALLD_MAIN_SOCKET_TYPE status)
set(SMALLD_SOCKET_LIST ${CMAKE_BINARY_DIR}/systemd/socket-units.txt)
add_custom_command(
  OUTPUT ${SMALLD_SOCKET_LIST} ${CMAKE_BINARY_DIR}/systemd/smalld.socket
  COMMAND smalld-units ${CMAKE_BINARY_DIR}/generated/smalld.ini ${SMALLD_MAIN_SOCKET_TYPE}
          ${CMAKE_BINARY_DIR}/systemd
  DEPENDS smalld-units ${CMAKE_BINARY_DIR}/generated/smalld.ini
  COMMENT "Generating the socket units from the service catalogue")
# The Debian maintainer scripts name every socket unit: written once the list is.
set(SMALLD_DEB_DIR ${CMAKE_BINARY_DIR}/deb)
set(SMALLD_DEB_SCRIPTS ${SMALLD_DEB_DIR}/postinst ${SMALLD_DEB_DIR}/prerm ${SMALLD_DEB_DIR}/postrm)
add_custom_command(
  OUTPUT ${SMALLD_DEB_SCRIPTS}
  COMMAND ${CMAKE_COMMAND} -DSOCKET_LIST=${SMALLD_SOCKET_LIST}
          -DSOURCE_DIR=${CMAKE_SOURCE_DIR}/cmake/deb -DOUTPUT_DIR=${SMALLD_DEB_DIR}
          -DSMALLD_CONFIG_DIR=${SMALLD_CONFIG_DIR} -P ${CMAKE_SOURCE_DIR}/cmake/deb_scripts.cmake
  DEPENDS ${SMALLD_SOCKET_LIST} ${CMAKE_SOURCE_DIR}/cmake/deb_scripts.cmake
          ${CMAKE_SOURCE_DIR}/cmake/deb/postinst.in ${CMAKE_SOURCE_DIR}/cmake/deb/prerm.in
          ${CMAKE_SOURCE_DIR}/cmake/deb/postrm.in
  COMMENT "Writing the Debian maintainer scripts")
add_custom_target(smalld_socket_units ALL DEPENDS ${SMALLD_SOCKET_LIST} ${SMALLD_DEB_SCRIPTS})
smalld_install_destination(SMALLD_UNIT_DESTINATION "${SMALLD_SYSTEMD_UNITDIR}")
install(DIRECTORY ${CMAKE_BINARY_DIR}/systemd/ DESTINATION ${SMALLD_UNIT_DESTINATION}
        FILES_MATCHING PATTERN "smalld.service" PATTERN "smalld*.socket")

# The configuration, at the path the daemon reads by default.
get_filename_component(SMALLD_CONFIG_NAME "${SMALLD_CONFIG_PATH}" NAME)
smalld_install_destination(SMALLD_CONFIG_DESTINATION "${SMALLD_CONFIG_DIR}")
# The shipped file with its socket line from SMALLD_CONTROL_SOCKET, as
# smallctl's default is.
install(FILES ${CMAKE_BINARY_DIR}/generated/smalld.ini
        DESTINATION ${SMALLD_CONFIG_DESTINATION} RENAME ${SMALLD_CONFIG_NAME})
# Its drop-in directory, shipped empty: local changes go there (smalld.ini(5)).
install(DIRECTORY DESTINATION ${SMALLD_CONFIG_DESTINATION}/${SMALLD_CONFIG_NAME}.d)

# Manuals: whichever of man/*.{1,5,8} exist, each to its section, compressed
# as Debian policy 12.1 wants them (gzip -9n, as dh_compress does; man reads
# them anywhere). Compressed when CMake runs, which it does again whenever a
# page changes.
foreach(section 1 5 8)
  file(GLOB SMALLD_MAN_PAGES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/man/*.${section})
  foreach(page ${SMALLD_MAN_PAGES})
    get_filename_component(name ${page} NAME)
    set(compressed ${CMAKE_BINARY_DIR}/man/${name}.gz)
    file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/man)
    execute_process(COMMAND gzip -9nc ${page} OUTPUT_FILE ${compressed} RESULT_VARIABLE failed)
    if(failed)
      message(FATAL_ERROR "gzip -9n of ${page} failed")
    endif()
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${page})
    install(FILES ${compressed} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
endforeach()

if(EXISTS ${CMAKE_SOURCE_DIR}/README.md)
  install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
  # The screenshot the README shows, where its link points.
  install(FILES ${CMAKE_SOURCE_DIR}/docs/live-page.png DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
endif()

# Bash completion, where bash-completion's pkg-config file says (loaded on
# demand by command name); a prefix that does not hold that directory (the
# /usr/local case) gets <prefix>/share/bash-completion/completions, which
# bash-completion searches through XDG_DATA_DIRS.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_get_variable(SMALLD_PC_COMPLETIONSDIR bash-completion completionsdir)
endif()
if(SMALLD_PC_COMPLETIONSDIR)
  cmake_path(IS_PREFIX CMAKE_INSTALL_PREFIX "${SMALLD_PC_COMPLETIONSDIR}" NORMALIZE pc_inside)
endif()
if(NOT SMALLD_PC_COMPLETIONSDIR OR NOT pc_inside)
  set(SMALLD_PC_COMPLETIONSDIR "${CMAKE_INSTALL_FULL_DATADIR}/bash-completion/completions")
endif()
set(SMALLD_BASH_COMPLETIONSDIR "${SMALLD_PC_COMPLETIONSDIR}" CACHE PATH
    "Where the bash completion scripts are installed")
smalld_install_destination(SMALLD_COMPLETIONS_DESTINATION "${SMALLD_BASH_COMPLETIONSDIR}")
install(FILES ${CMAKE_SOURCE_DIR}/completions/smalld ${CMAKE_SOURCE_DIR}/completions/smallctl
              ${CMAKE_SOURCE_DIR}/completions/smallprobe
        DESTINATION ${SMALLD_COMPLETIONS_DESTINATION})

# --- Debian package -------------------------------------------------------
# What dh_installsystemd and dh_installdeb would make: maintainer scripts that
# enable smalld.service on the first installation only (deb-systemd-helper),
# restart it on an upgrade and start nothing the admin disabled
# (deb-systemd-invoke), and purge /etc/smalld; /etc files as conffiles; a
# machine-readable copyright file and a changelog in /usr/share/doc/smalld.
# tests/systemd/deb.sh installs, upgrades and purges the package in the lab
# and runs lintian on it.
set(SMALLD_DEB_VERSION "${PROJECT_VERSION}" CACHE STRING
    "Version of the Debian package (a rebuild of the same sources: ${PROJECT_VERSION}+1)")
set(SMALLD_DEB_MAINTAINER
    "smalld maintainers <maintainers@users.noreply.b-seed-fe396948.example>" CACHE STRING
    "Maintainer of the Debian package (NAME <ADDRESS>)")
# CPack does not mark /etc files as conffiles by itself (dh_installdeb would).
file(WRITE ${SMALLD_DEB_DIR}/conffiles "${SMALLD_CONFIG_PATH}\n")

# The changelog of a native package, compressed as dh_compress does (gzip -9n:
# no name, no time stamp). Its date follows SOURCE_DATE_EPOCH when set.
string(TIMESTAMP SMALLD_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${CMAKE_SOURCE_DIR}/cmake/deb/changelog.in ${SMALLD_DEB_DIR}/changelog @ONLY)
execute_process(COMMAND gzip -9nc ${SMALLD_DEB_DIR}/changelog
                OUTPUT_FILE ${SMALLD_DEB_DIR}/changelog.gz RESULT_VARIABLE gzip_failed)
if(gzip_failed)
  message(FATAL_ERROR "gzip -9n of ${SMALLD_DEB_DIR}/changelog failed")
endif()
# The project's NEWS, compressed as dh_installdocs does, and the Prometheus
# rules and Grafana dashboard of contrib/ as examples.
execute_process(COMMAND gzip -9nc ${CMAKE_SOURCE_DIR}/NEWS
                OUTPUT_FILE ${SMALLD_DEB_DIR}/NEWS.gz RESULT_VARIABLE gzip_failed)
if(gzip_failed)
  message(FATAL_ERROR "gzip -9n of NEWS failed")
endif()
install(FILES ${CMAKE_SOURCE_DIR}/cmake/deb/copyright ${SMALLD_DEB_DIR}/changelog.gz
              ${SMALLD_DEB_DIR}/NEWS.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/contrib/
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

set(CPACK_PACKAGE_NAME smalld)
set(CPACK_PACKAGE_VENDOR "smalld")
set(CPACK_PACKAGE_CONTACT "${SMALLD_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "small Internet services daemon and STAMP reflector")
# The extended description (CPack puts the summary above it).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "smalld serves the small services of RFCs 862-868 (echo, discard, chargen,
qotd, daytime, time), a status report and a STAMP reflector (RFC 8762,
RFC 8972) over TCP and UDP from one libevent process, configured by one
INI file. Its UDP side has a loop guard, an amplification cap and
per-source rate limits, on by default. It runs under systemd (notify,
watchdog, socket activation), is controlled with smallctl, and exports
Prometheus metrics and a live page; smallprobe measures latency, loss and
throughput of any such server, and one-way delay with STAMP.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_VERSION ${SMALLD_DEB_VERSION})
# The package holds exactly what the units point at.
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Policy 10.1: binaries are shipped stripped (the build keeps its symbols).
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${SMALLD_DEB_DIR}/conffiles ${SMALLD_DEB_DIR}/postinst
    ${SMALLD_DEB_DIR}/prerm ${SMALLD_DEB_DIR}/postrm)
set(CPACK_GENERATOR DEB)
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  message(STATUS "smalld: packages will install under ${CMAKE_INSTALL_PREFIX}; "
                 "configure with -DCMAKE_INSTALL_PREFIX=/usr for a distribution package")
endif()
include(CPack)
