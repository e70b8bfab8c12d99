# The Debian package (`cpack -G DEB` in the build directory): the binary,
# a copy of the BPF object, the systemd unit, the config file (a conffile),
# the docs, and maintainer scripts that create the darkscope user.
#
# The binary does not read the BPF object from disk: the libbpf skeleton
# embeds it (darkscope.skel.h), so /usr/lib/darkscope/darkscope.bpf.o is
# there for inspection (bpftool, llvm-objdump) only. Geo data for reports
# is not packaged: deploy/setup.sh installs it.
get_target_property(darkscope_bpf_object darkscope_skel BPF_OBJECT)
install(TARGETS darkscope RUNTIME DESTINATION bin)
install(FILES ${darkscope_bpf_object} DESTINATION lib/darkscope)
install(FILES deploy/darkscope.service DESTINATION /lib/systemd/system)
install(FILES deploy/darkscope.conf DESTINATION /etc/darkscope)
install(FILES README.md docs/operations.md docs/maps.md docs/snapshot-format.md
        DESTINATION share/doc/darkscope)

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
