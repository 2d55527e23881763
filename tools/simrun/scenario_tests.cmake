# CTest for the scenario library and for bad input.
#
# Every scenarios/*.json runs under each profile named in its "expect"
# section ("pass" -> exit 0, "fail" -> exit 1, "any" -> not run), and once
# more through `simrun replay` to check that two runs give one trace hash.
if(NOT SIMRUN_BUILD_TESTS)
  return()
endif()
set(simrun_exe $<TARGET_FILE:simrun>)
set(check_exit ${CMAKE_CURRENT_SOURCE_DIR}/check_exit.cmake)
file(GLOB scenario_files CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/scenarios/*.json)
list(FILTER scenario_files EXCLUDE REGEX "scenario\\.schema\\.json$")
foreach(file ${scenario_files})
  get_filename_component(stem ${file} NAME_WE)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${file})
  file(READ ${file} text)
  foreach(profile recommended v2.0.0 v1.3.67)
    string(JSON outcome ERROR_VARIABLE no_expect GET "${text}" expect ${profile})
    if(no_expect OR outcome STREQUAL "any")
      continue()
    endif()
    if(outcome STREQUAL "pass")
      set(rc 0)
    else()
      set(rc 1)
    endif()
    add_test(NAME scenario_${stem}_${profile}
             COMMAND ${CMAKE_COMMAND} -DSIMRUN=${simrun_exe} -DEXPECT_RC=${rc}
                     "-DARGS=${file};--quiet;--set;cluster.profile=\"${profile}\""
                     -P ${check_exit}
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(scenario_${stem}_${profile} PROPERTIES LABELS "scenario")
  endforeach()
  add_test(NAME scenario_${stem}_deterministic
           COMMAND ${CMAKE_COMMAND} -DSIMRUN=${simrun_exe} -DSCENARIO=${file}
                   -DDIR=${CMAKE_CURRENT_BINARY_DIR}/replay/${stem}
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/check_replay.cmake
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(scenario_${stem}_deterministic PROPERTIES LABELS "scenario")
endforeach()

# Bad input: exit 2 with a message naming the file and the JSON path.
set(testdata ${CMAKE_CURRENT_SOURCE_DIR}/testdata)
set(churn ${PROJECT_SOURCE_DIR}/scenarios/three_node_churn.json)
function(simrun_bad_input name expect_text expect_text2)
  add_test(NAME simrun_bad_${name}
           COMMAND ${CMAKE_COMMAND} -DSIMRUN=${simrun_exe} -DEXPECT_RC=2
                   "-DEXPECT_TEXT=${expect_text}" "-DEXPECT_TEXT2=${expect_text2}"
                   "-DARGS=${ARGN}" -P ${check_exit}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(simrun_bad_${name} PROPERTIES LABELS "simrun")
endfunction()
simrun_bad_input(unknown_key "unknown_key.json" "/cluster/raft/election_timeout" ${testdata}/unknown_key.json)
simrun_bad_input(wrong_type "wrong_type.json" "/faults/0/at" ${testdata}/wrong_type.json)
simrun_bad_input(out_of_range "out_of_range.json" "/cluster/nodes" ${testdata}/out_of_range.json)
simrun_bad_input(syntax "syntax_error.json:4:" "invalid JSON" ${testdata}/syntax_error.json)
simrun_bad_input(missing_file "no_such_file.json" "cannot open" ${testdata}/no_such_file.json)
simrun_bad_input(unknown_node "unknown_node.json" "/faults/0/targets/0" ${testdata}/unknown_node.json)
simrun_bad_input(bad_set_path "three_node_churn.json" "/name" ${churn} --set name.x=1)
simrun_bad_input(bad_set_key "three_node_churn.json" "/cluster/raft/bogus" ${churn} --set cluster.raft.bogus=1)
simrun_bad_input(bad_set_value "--set" "not valid JSON" ${churn} "--set" "cluster.nodes={")
simrun_bad_input(bad_duration "invalid duration" "10x" ${churn} --duration 10x)
simrun_bad_input(bad_option "unrecognised" "usage" ${churn} --frobnicate)
simrun_bad_input(no_arguments "missing scenario" "usage")
