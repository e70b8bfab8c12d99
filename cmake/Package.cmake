# The Debian package (`cpack -G DEB` in the build directory): the binary,
# a copy of the BPF object, the systemd units (the sensor, and a timer and
# service for `darkscope rollup`), the config file (a conffile), every doc,
# the man page (help2man over the CLI's own help, deploy/debian/manpage.sh),
# the Prometheus alert rules and the Grafana dashboard
# (/usr/share/darkscope), and maintainer scripts that create the darkscope
# user.
#
# The binary does not read the BPF object from disk: the libbpf skeleton
# embeds it (darkscope.skel.h), so /usr/lib/darkscope/darkscope.bpf.o is
# there for inspection (bpftool, llvm-objdump) only. Geo data for reports
# is not packaged (licences): deploy/setup.sh installs the npm data, or
# MaxMind's GeoLite2 files go into the geo directory (docs/enrichment.md).
get_target_property(darkscope_bpf_object darkscope_skel BPF_OBJECT)
install(TARGETS darkscope RUNTIME DESTINATION bin)
install(FILES ${darkscope_bpf_object} DESTINATION lib/darkscope)
install(FILES deploy/darkscope.service DESTINATION /lib/systemd/system)
install(FILES deploy/darkscope.conf DESTINATION /etc/darkscope)
install(FILES deploy/debian/darkscope-rollup.service
              deploy/debian/darkscope-rollup.timer
        DESTINATION /lib/systemd/system)
file(GLOB darkscope_docs ${PROJECT_SOURCE_DIR}/docs/*.md
     ${PROJECT_SOURCE_DIR}/docs/*.html ${PROJECT_SOURCE_DIR}/docs/*.png)
install(FILES README.md ${darkscope_docs} DESTINATION share/doc/darkscope)
install(FILES deploy/prometheus/darkscope-alerts.yml
              deploy/prometheus/darkscope-alerts_test.yml
              deploy/grafana/darkscope.json
        DESTINATION share/darkscope)

# darkscope(1), from the built binary's --help and --version.
find_program(HELP2MAN help2man REQUIRED)
set(darkscope_man ${PROJECT_BINARY_DIR}/darkscope.1)
add_custom_command(
  OUTPUT ${darkscope_man}.gz
  COMMAND ${PROJECT_SOURCE_DIR}/deploy/debian/manpage.sh
          $<TARGET_FILE:darkscope> ${darkscope_man}
  COMMAND gzip -9nf ${darkscope_man}
  DEPENDS darkscope ${PROJECT_SOURCE_DIR}/deploy/debian/manpage.sh
  COMMENT "darkscope.1 (help2man)"
  VERBATIM)
add_custom_target(darkscope_man ALL DEPENDS ${darkscope_man}.gz)
install(FILES ${darkscope_man}.gz DESTINATION share/man/man1)

# `cpack` needs only the packaged targets built, not the benchmarks.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME darkscope)
set(CPACK_PACKAGE_VENDOR darkscope)
set(CPACK_PACKAGE_CONTACT "darkscope maintainers <darkscope@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "darknet (network telescope) sensor: XDP counters, snapshots, /metrics")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# Library dependencies from the binary (dpkg-shlibdeps); adduser for the
# postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/prerm
    ${PROJECT_SOURCE_DIR}/deploy/debian/postrm
    ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
