# SPDX-License-Identifier: BSD-2-Clause
# SMALLD_SYSTEMD_UNITDIR: where systemd system units are installed. Shared by
# cmake/install.cmake and tests/systemd, whichever is read first.
#
# For the /usr prefix ask systemd's pkg-config file (/lib/systemd/system on
# Debian 12); for any other prefix stay inside it: /usr/local/lib/systemd/system
# is on systemd's search path, others must be linked (systemctl link).
include_guard(GLOBAL)
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_get_variable(SMALLD_PC_UNITDIR systemd systemdsystemunitdir)
  endif()
endif()
if(NOT SMALLD_PC_UNITDIR)
  set(SMALLD_PC_UNITDIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()
set(SMALLD_SYSTEMD_UNITDIR "${SMALLD_PC_UNITDIR}" CACHE PATH "Where systemd system units are installed")
