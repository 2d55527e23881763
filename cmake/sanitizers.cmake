# Sanitizer and fuzzing builds (tools/setup.sh --sanitize / --fuzz, with
# clang; README "Fuzzing and sanitizers").
#
# SIMRUN_SANITIZE: AddressSanitizer (with LeakSanitizer) and
# UndefinedBehaviorSanitizer on every target; any UB report is fatal.
# Boost.Context's default fcontext fibers switch stacks in assembly that ASan
# never hears of, so this build uses Boost's ucontext fibers, which announce
# every switch (__sanitizer_start_switch_fiber), including the unwinding of a
# crashed node's fibers: ASan sees every frame on every fiber stack, and a
# leak or use-after-free in a crash path is reported (sim/boost_ucontext.cpp).
# The fiber implementation changes no scheduling decision, so trace hashes
# are the same as in the normal build (.ci/run checks one).
#
# SIMRUN_FUZZ: coverage instrumentation for libFuzzer on every target
# (-fsanitize=fuzzer-no-link) and the fuzz binaries in tools/fuzz/.
option(SIMRUN_SANITIZE "Build everything with ASan + UBSan (Boost ucontext fibers)" OFF)
option(SIMRUN_FUZZ "Build the libFuzzer targets (clang only)" OFF)

if(SIMRUN_SANITIZE)
  # -O1 as the sanitizers' docs advise: a third less compile time than -O3
  # on CI's two cores, and reports that match the source.
  string(REGEX REPLACE "-O[23]" "-O1" CMAKE_CXX_FLAGS_RELEASE "${CMAKE_CXX_FLAGS_RELEASE}")
  # -g1: line tables, so reports name files and lines at little build cost.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer -g1)
  add_link_options(-fsanitize=address,undefined)
  if(NOT SIMRUN_FUZZ AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    # The shared ASan runtime, so the Python tests can preload it into the
    # system python3 for the sanitized simrun module (tools/python), and the
    # simrun processes those tests start inherit the same one.
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libclang_rt.asan-x86_64.so
                    OUTPUT_VARIABLE SIMRUN_ASAN_RUNTIME OUTPUT_STRIP_TRAILING_WHITESPACE)
    get_filename_component(asan_runtime_dir ${SIMRUN_ASAN_RUNTIME} DIRECTORY)
    add_link_options(-shared-libasan -Wl,-rpath,${asan_runtime_dir})
  endif()
  add_compile_definitions(BOOST_USE_UCONTEXT BOOST_USE_ASAN)
endif()

if(SIMRUN_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SIMRUN_FUZZ needs clang (libFuzzer): tools/setup.sh --fuzz")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
