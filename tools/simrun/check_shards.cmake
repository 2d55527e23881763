# cmake -DSIMRUN=... -DSCENARIO=... -DSEEDS=A..B -DDIR=... -P check_shards.cmake
# Sharding: the sweep run unsharded, then as four shards (local processes,
# one with its index from JOB_COMPLETION_INDEX as in a Kubernetes indexed
# Job), merged with `simrun merge`: the merged sweep.json must be identical,
# byte for byte, to the unsharded one.
file(REMOVE_RECURSE ${DIR})
function(run_simrun)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc GREATER 1)
    message(FATAL_ERROR "${ARGN}: exit ${rc}\n${out}\n${err}")
  endif()
endfunction()
run_simrun(${SIMRUN} sweep ${SCENARIO} --seeds ${SEEDS} --jobs 2 --report ${DIR}/all)
foreach(index 1 2 3)
  run_simrun(${SIMRUN} sweep ${SCENARIO} --seeds ${SEEDS} --jobs 1 --shard ${index}/4
             --report ${DIR}/shard${index})
endforeach()
run_simrun(${CMAKE_COMMAND} -E env JOB_COMPLETION_INDEX=3 ${SIMRUN} sweep ${SCENARIO}
           --seeds ${SEEDS} --jobs 1 --shards 4 --report ${DIR}/shard4)
execute_process(COMMAND ${SIMRUN} merge ${DIR}/shard4 ${DIR}/shard2 ${DIR}/shard1 ${DIR}/shard3
                        --report ${DIR}/merged
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc GREATER 1)
  message(FATAL_ERROR "merge: exit ${rc}\n${out}\n${err}")
endif()
file(READ ${DIR}/shard4/sweep.json shard4)
string(JSON index GET "${shard4}" shard index)
if(NOT index EQUAL 4)
  message(FATAL_ERROR "JOB_COMPLETION_INDEX=3 ran shard ${index}, expected 4")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${DIR}/all/sweep.json
                        ${DIR}/merged/sweep.json RESULT_VARIABLE differ)
if(differ)
  message(FATAL_ERROR "merged shards differ from the unsharded sweep: diff ${DIR}/all/sweep.json ${DIR}/merged/sweep.json")
endif()
# A missing shard is refused (exit 2).
execute_process(COMMAND ${SIMRUN} merge ${DIR}/shard1 ${DIR}/shard2 ${DIR}/shard3
                        --report ${DIR}/partial
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "shard\\(s\\) 4 of 4 missing")
  message(FATAL_ERROR "merge of 3 of 4 shards: exit ${rc}, expected 2\n${out}\n${err}")
endif()
message(STATUS "merged 4 shards == unsharded sweep\n${out}")
