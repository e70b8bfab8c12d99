# darkscope_bpf_object(NAME SOURCE): compiles a .bpf.c into a BPF object with
# clang and generates its libbpf skeleton with bpftool.
#
# Produces, in the current binary directory, NAME.bpf.o and NAME.skel.h, and
# an INTERFACE library NAME_skel whose users include "NAME.skel.h". clang
# writes a depfile (-MD), so the object is rebuilt when any header it
# includes changes, the ABI header above all. The object's path is the
# target property BPF_OBJECT (the BTF test reads it).

find_program(DARKSCOPE_CLANG clang REQUIRED)
find_program(DARKSCOPE_BPFTOOL bpftool PATHS /usr/sbin /sbin REQUIRED)

# System headers for the BPF target: the host's multiarch directory comes
# after the project's, for <asm/types.h> and friends.
if(CMAKE_LIBRARY_ARCHITECTURE)
  set(DARKSCOPE_BPF_SYSTEM_INCLUDE /usr/include/${CMAKE_LIBRARY_ARCHITECTURE})
else()
  set(DARKSCOPE_BPF_SYSTEM_INCLUDE /usr/include/${CMAKE_SYSTEM_PROCESSOR}-linux-gnu)
endif()

# Benchmarks only: more clang flags for the BPF objects. bench/xdp_bisect.sh
# sets -DDS_BENCH_WITHOUT=N in build directories of its own to switch
# tables off and measure each one's cost by difference; a build that counts
# leaves it empty.
set(DARKSCOPE_BPF_BENCH_FLAGS "" CACHE STRING
    "extra clang flags for the BPF objects (bench/xdp_bisect.sh only)")
separate_arguments(darkscope_bpf_bench_flags UNIX_COMMAND "${DARKSCOPE_BPF_BENCH_FLAGS}")

function(darkscope_bpf_object name source)
  get_filename_component(source_path ${source} ABSOLUTE)
  set(object ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  set(skeleton ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)

  add_custom_command(
    OUTPUT ${object}
    COMMAND ${DARKSCOPE_CLANG} -target bpf -mcpu=v3 -O2 -g -Wall -Werror
            -I${PROJECT_SOURCE_DIR}/include
            -idirafter ${DARKSCOPE_BPF_SYSTEM_INCLUDE}
            ${darkscope_bpf_bench_flags}
            -MD -MF ${object}.d
            -c ${source_path} -o ${object}
    DEPENDS ${source_path}
    DEPFILE ${object}.d
    COMMENT "Compiling BPF object ${name}.bpf.o"
    VERBATIM)

  add_custom_command(
    OUTPUT ${skeleton}
    COMMAND ${DARKSCOPE_BPFTOOL} gen skeleton ${object} name ${name}_bpf > ${skeleton}
    DEPENDS ${object}
    COMMENT "Generating BPF skeleton ${name}.skel.h")

  add_custom_target(${name}_bpf_generate DEPENDS ${object} ${skeleton})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_bpf_generate)
  target_include_directories(${name}_skel INTERFACE ${CMAKE_CURRENT_BINARY_DIR}
                             ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF)
  set_target_properties(${name}_skel PROPERTIES BPF_OBJECT ${object})
endfunction()
