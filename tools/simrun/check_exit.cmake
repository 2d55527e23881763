# cmake -DSIMRUN=... -DEXPECT_RC=N [-DEXPECT_TEXT=...] [-DEXPECT_TEXT2=...] -DARGS="a;b;c" -P check_exit.cmake
# Runs simrun and checks its exit status (and that stderr+stdout contain the
# expected texts), so a test can expect 1 (assertion failed) or 2 (bad
# input) precisely, which WILL_FAIL cannot express.
execute_process(COMMAND ${SIMRUN} ${ARGS} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL ${EXPECT_RC})
  message(FATAL_ERROR "simrun ${ARGS}: exit ${rc}, expected ${EXPECT_RC}\n${out}\n${err}")
endif()
foreach(text IN ITEMS "${EXPECT_TEXT}" "${EXPECT_TEXT2}")
  if(text AND NOT "${out}${err}" MATCHES "${text}")
    message(FATAL_ERROR "simrun ${ARGS}: output lacks '${text}'\n${out}\n${err}")
  endif()
endforeach()
