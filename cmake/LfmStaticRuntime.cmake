# LFM_STATIC_RUNTIME: binaries that run on a machine with none of our Debian
# packages (the GPU machines have the NVIDIA driver and little else). Abseil
# is linked from its static archives and libstdc++/libgcc statically, so
# that lfm-run, lfm-bench and the runtime tests need only libc, libm,
# libdl and libpthread (and dlopen libcuda at run time). Use it with
# -DLFM_BUILD_COMPILER=OFF: MLIR/LLVM are not built for static linking.
#
# Debian's abslTargets point at the shared objects; each absl:: target is
# re-pointed at the .a beside its .so. The targets' link interfaces already
# list their absl dependencies, so static link order follows from them.
function(lfm_use_static_absl)
  get_property(_targets DIRECTORY ${PROJECT_SOURCE_DIR} PROPERTY IMPORTED_TARGETS)
  foreach(_t IN LISTS _targets)
    if(NOT _t MATCHES "^absl::")
      continue()
    endif()
    get_target_property(_type ${_t} TYPE)
    if(NOT _type STREQUAL "SHARED_LIBRARY")
      continue()
    endif()
    foreach(_prop IMPORTED_LOCATION_NONE IMPORTED_LOCATION_RELEASE IMPORTED_LOCATION)
      get_target_property(_loc ${_t} ${_prop})
      if(_loc)
        string(REGEX REPLACE "\\.so(\\.[0-9.]+)?$" ".a" _archive "${_loc}")
        if(NOT EXISTS "${_archive}")
          message(FATAL_ERROR "LFM_STATIC_RUNTIME: ${_t} has no static archive ${_archive} (install libabsl-dev)")
        endif()
        set_target_properties(${_t} PROPERTIES ${_prop} "${_archive}" IMPORTED_SONAME "" )
        set_property(TARGET ${_t} PROPERTY IMPORTED_NO_SONAME TRUE)
      endif()
    endforeach()
  endforeach()
  add_link_options(-static-libstdc++ -static-libgcc)
  # Every executable links the glibc compatibility object (see the file).
  add_library(lfm_glibc_compat OBJECT ${PROJECT_SOURCE_DIR}/runtime/compat/GlibcCompat.cpp)
  link_libraries(lfm_glibc_compat)
endfunction()
