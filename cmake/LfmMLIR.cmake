# Finds Debian's MLIR/LLVM 16 and makes its targets link statically.
#
# Debian builds LLVM with LLVM_LINK_LLVM_DYLIB, so every exported MLIR target
# names the shared "LLVM" library in its link interface. Linking that would
# make our tools need libLLVM-16.so at run time. We re-point those targets at
# the static LLVMSupport archive instead, so lfm-compile and lfm-opt run on a
# machine where no LLVM is installed. HandleLLVMOptions is deliberately not
# included: it would impose LLVM's compile flags on the whole project.
find_package(MLIR 16 REQUIRED CONFIG
  HINTS /usr/lib/llvm-16/lib/cmake/mlir)
message(STATUS "Using MLIR from ${MLIR_DIR}")

# LLVMSupport names libz3.so only for its optional SMT solver wrapper, which
# MLIR never calls; drop it so the static archive pulls in no shared library.
# Its other dependencies name imported targets (ZLIB::ZLIB, zstd::...) that
# only LLVM's own find modules define; name the plain system libraries instead.
get_target_property(_lfm_support_deps LLVMSupport INTERFACE_LINK_LIBRARIES)
list(FILTER _lfm_support_deps EXCLUDE REGEX "z3")
list(TRANSFORM _lfm_support_deps REPLACE "^ZLIB::ZLIB$" "z")
list(TRANSFORM _lfm_support_deps REPLACE "^zstd::.*$" "zstd")
list(TRANSFORM _lfm_support_deps REPLACE "^Terminfo::terminfo$" "tinfo")
set_target_properties(LLVMSupport PROPERTIES INTERFACE_LINK_LIBRARIES "${_lfm_support_deps}")

foreach(_lfm_target IN LISTS MLIR_EXPORTED_TARGETS)
  if(NOT TARGET ${_lfm_target})
    continue()
  endif()
  get_target_property(_lfm_type ${_lfm_target} TYPE)
  if(_lfm_type STREQUAL "EXECUTABLE")
    continue()
  endif()
  get_target_property(_lfm_deps ${_lfm_target} INTERFACE_LINK_LIBRARIES)
  if(_lfm_deps)
    list(TRANSFORM _lfm_deps REPLACE "^LLVM$" "LLVMSupport")
    set_target_properties(${_lfm_target} PROPERTIES INTERFACE_LINK_LIBRARIES "${_lfm_deps}")
  endif()
endforeach()

set(LFM_MLIR_TBLGEN /usr/lib/llvm-16/bin/mlir-tblgen)
if(NOT EXISTS ${LFM_MLIR_TBLGEN})
  find_program(LFM_MLIR_TBLGEN mlir-tblgen-16 mlir-tblgen REQUIRED)
endif()

# lfm_tablegen(<out-file> <td-file> <flags>...): runs mlir-tblgen at build time.
function(lfm_tablegen out td)
  add_custom_command(
    OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/${out}
    COMMAND ${LFM_MLIR_TBLGEN} ${ARGN}
            -I ${MLIR_INCLUDE_DIRS} -I ${CMAKE_CURRENT_SOURCE_DIR} -I ${PROJECT_SOURCE_DIR}
            ${CMAKE_CURRENT_SOURCE_DIR}/${td}
            -o ${CMAKE_CURRENT_BINARY_DIR}/${out}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${td} ${LFM_TABLEGEN_EXTRA_DEPS}
    COMMENT "mlir-tblgen ${out}")
  set_property(DIRECTORY APPEND PROPERTY LFM_TABLEGEN_OUTPUTS ${CMAKE_CURRENT_BINARY_DIR}/${out})
endfunction()

# Compiler-side targets see MLIR/LLVM headers; the runtime never does.
add_library(lfm_mlir_flags INTERFACE)
target_include_directories(lfm_mlir_flags SYSTEM INTERFACE ${MLIR_INCLUDE_DIRS} ${LLVM_INCLUDE_DIRS})
target_compile_definitions(lfm_mlir_flags INTERFACE ${LLVM_DEFINITIONS})
# LLVM 16 is built without RTTI; match it so vtables and typeinfo agree.
target_compile_options(lfm_mlir_flags INTERFACE -fno-rtti)
