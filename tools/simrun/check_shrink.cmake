# cmake -DSIMRUN=... -DSCENARIO=... -DSET=PATH=VALUE -DEXPECT_FAIL=NAME -DMAX_FAULTS=N -DDIR=...
#       -P check_shrink.cmake
# Shrink: the scenario with its legacy knob fails on EXPECT_FAIL; `simrun
# shrink` must write a scenario with at most MAX_FAULTS faults that fails on
# its own (`simrun minimal.json`, no --set, no --seed) on the same check,
# and the same file with --jobs 1 and --jobs 2.
cmake_policy(SET CMP0057 NEW)
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${DIR})
foreach(jobs 1 2)
  execute_process(COMMAND ${SIMRUN} shrink ${SCENARIO} --seed 1 --set ${SET} --jobs ${jobs}
                          -o ${DIR}/minimal_j${jobs}.json
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "shrink --jobs ${jobs}: exit ${rc}\n${out}\n${err}")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${DIR}/minimal_j1.json
                        ${DIR}/minimal_j2.json RESULT_VARIABLE differ)
if(differ)
  message(FATAL_ERROR "shrink gave different scenarios with --jobs 1 and 2")
endif()
file(READ ${DIR}/minimal_j2.json minimal)
string(JSON faults LENGTH "${minimal}" faults)
if(faults GREATER MAX_FAULTS)
  message(FATAL_ERROR "shrink left ${faults} faults, expected at most ${MAX_FAULTS}\n${out}")
endif()
execute_process(COMMAND ${SIMRUN} ${DIR}/minimal_j2.json --quiet --report ${DIR}/run
                RESULT_VARIABLE rc OUTPUT_VARIABLE run_out ERROR_VARIABLE err)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "the shrunk scenario does not fail on its own (exit ${rc})\n${run_out}\n${err}")
endif()
file(READ ${DIR}/run/summary.json summary)
string(JSON count LENGTH "${summary}" failed)
set(failed "")
math(EXPR last "${count} - 1")
foreach(i RANGE ${last})
  string(JSON name GET "${summary}" failed ${i})
  list(APPEND failed "${name}")
endforeach()
if(NOT EXPECT_FAIL IN_LIST failed)
  message(FATAL_ERROR "the shrunk scenario fails on ${failed}, not on '${EXPECT_FAIL}'")
endif()
message(STATUS "${out}")
