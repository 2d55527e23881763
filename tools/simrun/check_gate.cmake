# cmake -DSIMRUN=... -DSCENARIO=... -DSEEDS=A..B -DDIR=... -P check_gate.cmake
# The gate's worked example: three sweeps over the same seeds (baseline;
# election timeout 1000 -> 300 ms; tick 100 -> 10 ms, which leaves timing
# unchanged because timeouts are counted as written). The first candidate
# must fail the scenario's gates on pre-vote campaigns (exit 1), the second
# must pass (exit 0).
file(REMOVE_RECURSE ${DIR})
function(sweep name)
  execute_process(COMMAND ${SIMRUN} sweep ${SCENARIO} --seeds ${SEEDS} --jobs 2 --report
                          ${DIR}/${name} ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc GREATER 1)
    message(FATAL_ERROR "sweep ${name}: exit ${rc}\n${out}\n${err}")
  endif()
endfunction()
sweep(baseline)
sweep(election_300ms --set cluster.raft.election_timeout_ms=300)
sweep(tick_10ms --set cluster.raft.tick_interval_ms=10)
execute_process(COMMAND ${SIMRUN} gate --baseline ${DIR}/baseline --candidate ${DIR}/election_300ms
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1 OR NOT out MATCHES "pre_vote_campaigns p99 <= baseline \\+ 25 % [^\n]*\\*\\*FAIL\\*\\*")
  message(FATAL_ERROR "gate (election timeout 300 ms): exit ${rc}, expected 1 on pre_vote_campaigns\n${out}\n${err}")
endif()
if(NOT EXISTS ${DIR}/election_300ms/gate.json)
  message(FATAL_ERROR "gate did not write gate.json beside the candidate")
endif()
execute_process(COMMAND ${SIMRUN} gate --baseline ${DIR}/baseline --candidate ${DIR}/tick_10ms
                        --report ${DIR}/tick_gate
                RESULT_VARIABLE rc OUTPUT_VARIABLE out2 ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out2 MATCHES "\\*\\*PASS\\*\\*")
  message(FATAL_ERROR "gate (tick 10 ms): exit ${rc}, expected 0\n${out2}\n${err}")
endif()
file(READ ${DIR}/tick_gate/gate.json gate)
string(JSON passed GET "${gate}" passed)
if(NOT passed)
  message(FATAL_ERROR "gate.json says the tick change failed")
endif()
message(STATUS "${out}\n${out2}")
