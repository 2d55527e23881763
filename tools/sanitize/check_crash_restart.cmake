# cmake -DSIMRUN=... -DREPORT=DIR -DMIN_FAULTS=N -P check_crash_restart.cmake
# Runs three_node_churn with a crash nemesis under the sanitizers and
# requires exit 0 (safety checks held, no sanitizer or leak report) and at
# least MIN_FAULTS applied faults (crashes and restarts), so the run cannot
# pass by never crashing anything. The assertions go, and with them the
# legacy expectations that name them.
set(nemesis [=[nemesis={"from":"2s","to":"50s","kinds":[{"action":"crash","mean_interval":"3s","duration":"1s"}]}]=])
execute_process(
  COMMAND ${SIMRUN} scenarios/three_node_churn.json --quiet --report ${REPORT}
          --set "assertions=[]" --set "expect={}" --set "${nemesis}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "crash-restart scenario: exit ${rc}\n${out}\n${err}")
endif()
file(READ ${REPORT}/summary.json summary)
string(JSON applied GET "${summary}" faults applied)
if(applied LESS ${MIN_FAULTS})
  message(FATAL_ERROR "crash-restart scenario applied ${applied} faults, expected >= ${MIN_FAULTS}")
endif()
message(STATUS "crash-restart scenario: ${applied} faults applied, no leak; ${out}")
