# simrun_add_test(NAME <name> SOURCES <files...> LIBS <targets...> [LABELS ...])
#
# The one helper that registers a doctest suite with CTest. Every *_test.cpp
# beside a source file goes through here, so that all suites share the doctest
# main, the warning flags and the way CTest reports them.
function(simrun_add_test)
  if(NOT SIMRUN_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LIBS;LABELS;ARGS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE simrun_doctest_main ${ARG_LIBS} simrun_flags)
  add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME} ${ARG_ARGS}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  if(ARG_LABELS)
    set_tests_properties(${ARG_NAME} PROPERTIES LABELS "${ARG_LABELS}")
  endif()
endfunction()

if(SIMRUN_BUILD_TESTS AND NOT TARGET simrun_doctest_main)
  file(WRITE ${CMAKE_BINARY_DIR}/doctest_main.cpp
       "#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN\n#include <doctest/doctest.h>\n")
  add_library(simrun_doctest_main STATIC ${CMAKE_BINARY_DIR}/doctest_main.cpp)
  target_link_libraries(simrun_doctest_main PUBLIC doctest::doctest)
endif()

# simrun_add_tests_beside(<dir> LIBS <targets...>)
# Registers every *_test.cpp directly in <dir> as its own CTest suite named
# <folder>_<file>, so "a test beside each source" needs no CMake edit.
function(simrun_add_tests_beside dir)
  cmake_parse_arguments(ARG "" "" "LIBS;LABELS" ${ARGN})
  get_filename_component(folder ${dir} NAME)
  file(GLOB test_sources CONFIGURE_DEPENDS ${dir}/*_test.cpp)
  foreach(source ${test_sources})
    get_filename_component(stem ${source} NAME_WE)
    simrun_add_test(NAME ${folder}_${stem} SOURCES ${source} LIBS ${ARG_LIBS} LABELS ${folder} ${ARG_LABELS})
  endforeach()
endfunction()
