# The sanitizer build (LFM_SANITIZE) and the fuzz build (LFM_FUZZ): every
# target of the project compiled with ASan + UBSan, with no recovery, so that
# the first report fails the test that made it. LeakSanitizer comes with ASan
# on Linux. LFM_FUZZ adds libFuzzer's coverage instrumentation to the
# libraries (fuzzer-no-link); tests/fuzz links the fuzzer driver itself.
set(LFM_SANITIZE ON)
set(_lfm_sanitizers address,undefined)
if(LFM_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "LFM_FUZZ needs clang (libFuzzer): configure with CXX=clang++ CC=clang")
  endif()
  set(_lfm_sanitizers fuzzer-no-link,${_lfm_sanitizers})
endif()
add_compile_options(-fsanitize=${_lfm_sanitizers} -fno-sanitize-recover=all
                    -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)
