# Installation and packaging: systemd units, the shipped configuration, the
# manuals, the README and a Debian package (cpack -G DEB). Included by the
# top-level CMakeLists.txt; the binaries' own install() rules live beside them.
#
# Paths baked into the units come from this build's CMAKE_INSTALL_PREFIX, so
# a distribution build configures with -DCMAKE_INSTALL_PREFIX=/usr (which also
# puts the configuration in /etc/smalld, see GNUInstallDirs).

include(${CMAKE_CURRENT_LIST_DIR}/systemd_unitdir.cmake)

set(SMALLD_SOCKET_INSTANCES echo discard chargen qotd daytime time)

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

# Units: the service is a template (binary and configuration paths), the
# socket units are copied as they are. All land in <build>/systemd, where the
# tests in tests/systemd find them too.
configure_file(${CMAKE_SOURCE_DIR}/systemd/smalld.service.in
               ${CMAKE_BINARY_DIR}/systemd/smalld.service @ONLY)
set(SMALLD_UNIT_FILES ${CMAKE_BINARY_DIR}/systemd/smalld.service)
foreach(unit smalld ${SMALLD_SOCKET_INSTANCES})
  if(NOT unit STREQUAL "smalld")
    set(unit "smalld-${unit}")
  endif()
  configure_file(${CMAKE_SOURCE_DIR}/systemd/${unit}.socket
                 ${CMAKE_BINARY_DIR}/systemd/${unit}.socket COPYONLY)
  list(APPEND SMALLD_UNIT_FILES ${CMAKE_BINARY_DIR}/systemd/${unit}.socket)
endforeach()
smalld_install_destination(SMALLD_UNIT_DESTINATION "${SMALLD_SYSTEMD_UNITDIR}")
install(FILES ${SMALLD_UNIT_FILES} DESTINATION ${SMALLD_UNIT_DESTINATION})

# The configuration, at the path the daemon reads by default.
get_filename_component(SMALLD_CONFIG_DIR "${SMALLD_CONFIG_PATH}" DIRECTORY)
get_filename_component(SMALLD_CONFIG_NAME "${SMALLD_CONFIG_PATH}" NAME)
smalld_install_destination(SMALLD_CONFIG_DESTINATION "${SMALLD_CONFIG_DIR}")
install(FILES ${CMAKE_SOURCE_DIR}/etc/smalld.ini
        DESTINATION ${SMALLD_CONFIG_DESTINATION} RENAME ${SMALLD_CONFIG_NAME})

# Manuals: whichever of man/*.{1,5,8} exist, each to its section.
foreach(section 1 5 8)
  file(GLOB SMALLD_MAN_PAGES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/man/*.${section})
  if(SMALLD_MAN_PAGES)
    install(FILES ${SMALLD_MAN_PAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endif()
endforeach()

if(EXISTS ${CMAKE_SOURCE_DIR}/README.md)
  install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
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
# Maintainer scripts: daemon-reload and enable on install, start only on a
# booted systemd; stop on removal; disable on purge. dpkg wants them 0755.
set(SMALLD_DEB_DIR ${CMAKE_BINARY_DIR}/deb)
file(COPY ${CMAKE_SOURCE_DIR}/cmake/deb/postinst ${CMAKE_SOURCE_DIR}/cmake/deb/prerm
          ${CMAKE_SOURCE_DIR}/cmake/deb/postrm
     DESTINATION ${SMALLD_DEB_DIR}
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                      WORLD_READ WORLD_EXECUTE)
# CPack does not mark /etc files as conffiles by itself (dh_installdeb would).
file(WRITE ${SMALLD_DEB_DIR}/conffiles "${SMALLD_CONFIG_PATH}\n")

set(CPACK_PACKAGE_NAME smalld)
set(CPACK_PACKAGE_VENDOR "smalld")
set(CPACK_PACKAGE_CONTACT "smalld maintainers <smalld@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# The package holds exactly what the units point at.
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
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
