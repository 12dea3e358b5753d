# SPDX-License-Identifier: BSD-2-Clause
# The Debian maintainer scripts, written at build time: they name every socket
# unit, and smalld-units writes the list of those (SOCKET_LIST) only then.
#   cmake -DSOCKET_LIST=... -DSOURCE_DIR=cmake/deb -DOUTPUT_DIR=... \
#         -DSMALLD_CONFIG_DIR=... -P deb_scripts.cmake
file(STRINGS "${SOCKET_LIST}" units)
list(JOIN units " " SMALLD_DEB_SOCKETS)
foreach(script postinst prerm postrm)
  configure_file(${SOURCE_DIR}/${script}.in ${OUTPUT_DIR}/${script} @ONLY
                 FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                  WORLD_READ WORLD_EXECUTE)
endforeach()
