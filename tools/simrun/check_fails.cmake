# cmake -DSIMRUN=... -DDIR=... -DARGS="a;b;c" [-DEXPECT_FAILS="n1;n2"] [-DEXPECT_ANY="n1;n2"]
#       -P check_fails.cmake
# Runs simrun with --report DIR and requires exit 1 (a check failed) for the
# right reason: every name in EXPECT_FAILS, and at least one name in
# EXPECT_ANY, must be among summary.json's "failed" (failed assertion names
# and "checker:<name>" for violated checkers). A run that fails for some
# other reason, or crashes, does not count.
cmake_policy(SET CMP0057 NEW)  # if(... IN_LIST ...)
file(REMOVE_RECURSE ${DIR})
execute_process(COMMAND ${SIMRUN} ${ARGS} --quiet --report ${DIR}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "simrun ${ARGS}: exit ${rc}, expected 1 (a check failed)\n${out}\n${err}")
endif()
file(READ ${DIR}/summary.json summary)
string(JSON count LENGTH "${summary}" failed)
set(failed "")
if(count GREATER 0)
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON name GET "${summary}" failed ${i})
    list(APPEND failed "${name}")
  endforeach()
endif()
foreach(name IN LISTS EXPECT_FAILS)
  if(NOT name IN_LIST failed)
    message(FATAL_ERROR "simrun ${ARGS}: failed, but not on '${name}'; failed: ${failed}\n${out}")
  endif()
endforeach()
if(EXPECT_ANY)
  set(found FALSE)
  foreach(name IN LISTS EXPECT_ANY)
    if(name IN_LIST failed)
      set(found TRUE)
    endif()
  endforeach()
  if(NOT found)
    message(FATAL_ERROR "simrun ${ARGS}: failed, but on none of '${EXPECT_ANY}'; failed: ${failed}\n${out}")
  endif()
endif()
message(STATUS "failed as expected on: ${failed}")
