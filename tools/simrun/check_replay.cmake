# cmake -DSIMRUN=... -DSCENARIO=... -DDIR=... [-DPROFILE=...] -P check_replay.cmake
# Determinism: run once with --report, then `simrun replay`, which reruns the
# same seed and overrides and exits 1 unless the trace hash is identical.
set(args ${SCENARIO} --quiet --report ${DIR})
if(PROFILE)
  list(APPEND args --set "cluster.profile=\"${PROFILE}\"")
endif()
execute_process(COMMAND ${SIMRUN} ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc GREATER 1)
  message(FATAL_ERROR "first run failed with ${rc}\n${out}\n${err}")
endif()
execute_process(COMMAND ${SIMRUN} replay ${DIR}/summary.json --quiet RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "replay did not reproduce the trace hash (exit ${rc})\n${out}\n${err}")
endif()
