# CTest for the scenario library and for bad input.
#
# Every scenarios/*.json runs under each profile named in its "expect"
# section ("pass" -> exit 0, "fail" -> exit 1, {"fails": [names]} -> exit 1
# with every named check among the failed ones, "any" -> not run), and once
# more through `simrun replay` to check that two runs give one trace hash.
if(NOT SIMRUN_BUILD_TESTS)
  return()
endif()
set(simrun_exe $<TARGET_FILE:simrun>)

# The "fails" array of an expect entry (the loader has checked it is a
# non-empty array of check names) as a CMake list in <out>.
function(simrun_expected_fails out outcome_json)
  set(fails "")
  string(JSON fail_count LENGTH "${outcome_json}" fails)
  math(EXPR last "${fail_count} - 1")
  foreach(i RANGE ${last})
    string(JSON name GET "${outcome_json}" fails ${i})
    list(APPEND fails "${name}")
  endforeach()
  set(${out} "${fails}" PARENT_SCOPE)
endfunction()

set(check_exit ${CMAKE_CURRENT_SOURCE_DIR}/check_exit.cmake)
set(check_fails ${CMAKE_CURRENT_SOURCE_DIR}/check_fails.cmake)
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
    string(JSON outcome_type TYPE "${text}" expect ${profile})
    if(outcome_type STREQUAL "OBJECT")
      # The mechanism's own checks must be the ones failing, not just any.
      simrun_expected_fails(fails "${outcome}")
      add_test(NAME scenario_${stem}_${profile}
               COMMAND ${CMAKE_COMMAND} -DSIMRUN=${simrun_exe}
                       "-DARGS=${file};--set;cluster.profile=\"${profile}\""
                       "-DEXPECT_FAILS=${fails}" -DDIR=${CMAKE_CURRENT_BINARY_DIR}/profiles/${stem}_${profile}
                       -P ${check_fails}
               WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
      set_tests_properties(scenario_${stem}_${profile} PROPERTIES LABELS "scenario")
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
  # expect.legacy: the mechanism's own knob(s) flipped must fail the run on
  # the named checks (the loader already checked that they exist).
  string(JSON legacy ERROR_VARIABLE no_legacy GET "${text}" expect legacy)
  if(NOT no_legacy)
    set(args ${file})
    string(JSON knob_count LENGTH "${legacy}" set)
    math(EXPR last "${knob_count} - 1")
    foreach(i RANGE ${last})
      string(JSON path MEMBER "${legacy}" set ${i})
      string(JSON type TYPE "${legacy}" set ${path})
      string(JSON value GET "${legacy}" set ${path})
      if(type STREQUAL "BOOLEAN")
        if(value)
          set(value true)
        else()
          set(value false)
        endif()
      elseif(type STREQUAL "STRING")
        set(value "\"${value}\"")
      elseif(type STREQUAL "NULL")
        set(value null)
      endif()
      list(APPEND args --set "${path}=${value}")
    endforeach()
    simrun_expected_fails(fails "${legacy}")
    add_test(NAME scenario_${stem}_legacy
             COMMAND ${CMAKE_COMMAND} -DSIMRUN=${simrun_exe} "-DARGS=${args}"
                     "-DEXPECT_FAILS=${fails}" -DDIR=${CMAKE_CURRENT_BINARY_DIR}/legacy/${stem}
                     -P ${check_fails}
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(scenario_${stem}_legacy PROPERTIES LABELS "scenario")
  endif()
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
simrun_bad_input(controlled_shutdown_timeout "three_node_churn.json: /cluster/broker/controlled_shutdown_timeout_ms"
                 "integer in" ${churn} --set cluster.broker.controlled_shutdown_timeout_ms=0)
simrun_bad_input(bad_sweep_seeds "--seeds" "1..1000000" sweep ${churn} --seeds 0)
# 150 ms with 100 ms ticks is one election tick, like the heartbeat: Raft
# cannot run it (it used to abort in raft/ with status 134).
simrun_bad_input(election_ticks "three_node_churn.json: /cluster/raft/election_timeout_ms"
                 "at least 200" ${churn} --set cluster.raft.election_timeout_ms=150)
simrun_bad_input(duration_limit "/duration" "at most 86400000 ms" ${churn} --duration 25h)

# The CI gate holds beyond its own seed: a sweep over consecutive seeds of
# three_node_churn under the recommended profile must pass every one.
add_test(NAME scenario_three_node_churn_sweep
         COMMAND ${CMAKE_COMMAND} -DSIMRUN=${simrun_exe} -DEXPECT_RC=0
                 "-DEXPECT_TEXT=sweep: 16 passed, 0 failed"
                 "-DARGS=sweep;${churn};--seeds;16;--first-seed;2" -P ${check_exit}
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(scenario_three_node_churn_sweep PROPERTIES LABELS "scenario")

# Sweeps across machines: four shards merged give the unsharded sweep.json.
add_test(NAME simrun_sweep_shards_merge
         COMMAND ${CMAKE_COMMAND} -DSIMRUN=${simrun_exe} -DSCENARIO=${churn} -DSEEDS=1..8
                 -DDIR=${CMAKE_CURRENT_BINARY_DIR}/shards -P ${CMAKE_CURRENT_SOURCE_DIR}/check_shards.cmake
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(simrun_sweep_shards_merge PROPERTIES LABELS "simrun")
simrun_bad_input(bad_sweep_range "--seeds" "A <= B" sweep ${churn} --seeds 9..3)
simrun_bad_input(bad_shard "--shard" "I/N" sweep ${churn} --shard 5/4)
simrun_bad_input(merge_not_a_sweep "cannot open the sweep" "sweep.json" merge ${testdata} --report ${CMAKE_CURRENT_BINARY_DIR}/no_merge)

# The gate's worked example (README): a timing change fails, a change that
# does not affect timing passes.
add_test(NAME simrun_gate_three_node_churn
         COMMAND ${CMAKE_COMMAND} -DSIMRUN=${simrun_exe} -DSCENARIO=${churn} -DSEEDS=1..20
                 -DDIR=${CMAKE_CURRENT_BINARY_DIR}/gate -P ${CMAKE_CURRENT_SOURCE_DIR}/check_gate.cmake
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(simrun_gate_three_node_churn PROPERTIES LABELS "simrun" PROCESSORS 2)

# Shrink: a legacy failure reduced to a scenario that fails alone, the same way.
add_test(NAME simrun_shrink_heartbeat_stall
         COMMAND ${CMAKE_COMMAND} -DSIMRUN=${simrun_exe}
                 -DSCENARIO=${PROJECT_SOURCE_DIR}/scenarios/heartbeat_stall.json
                 "-DSET=cluster.broker.ready_mode=\"inline_sequential\""
                 "-DEXPECT_FAIL=heartbeat blocking" -DMAX_FAULTS=2
                 -DDIR=${CMAKE_CURRENT_BINARY_DIR}/shrink/heartbeat_stall
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/check_shrink.cmake
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(simrun_shrink_heartbeat_stall PROPERTIES LABELS "simrun" PROCESSORS 2)
simrun_bad_input(shrink_passing_seed "does not fail" "nothing to shrink" shrink ${churn} --seed 1 -o ${CMAKE_CURRENT_BINARY_DIR}/never_written.json)

# Coverage probes (issue 10): the scenarios that pass under recommended,
# one seed each, together reach every probe of broker::all_probe_names()
# except those listed here, which no scenario reaches yet. rolling_restart
# reaches raft.leader_transfer (a controlled shutdown hands each group the
# stopping broker leads to a follower). raft_inbox_overflow reaches
# broker.inbox_full_drop, unknown_group_buffer_overflow
# broker.unknown_group_dropped and metadata_queue_overflow
# broker.metadata_queue_full (small broker.* queue capacities). figure8_five_node reaches raft.pre_vote_rejected and
# raft.commit_waits_for_own_term (a quorum holding only an older-term entry
# at commit time). Shrink this list as scenarios reach them; a probe that
# stops being reached fails.
set(probe_scenarios "")
foreach(file ${scenario_files})
  file(READ ${file} text)
  string(JSON outcome ERROR_VARIABLE no_expect GET "${text}" expect recommended)
  if(NOT no_expect AND outcome STREQUAL "pass")
    list(APPEND probe_scenarios ${file})
  endif()
endforeach()
# raft.commit_capped_at_last_new guards against an append that leaves a stale
# suffix behind its last new entry, which the leader's back-off to the first
# conflicting index never sends (scenarios/README.md, "Coverage probes";
# tools/mutants/RESULTS.md, 06). slow_follower_reprobe reaches
# raft.stale_snapshot_ignored, stale_candidate_loses_election raft.election_lost.
set(probes_without_a_path
    "raft.commit_capped_at_last_new")
add_test(NAME simrun_probe_coverage
         COMMAND ${CMAKE_COMMAND} -DSIMRUN=${simrun_exe} -DOUT=${CMAKE_CURRENT_BINARY_DIR}/probes
                 "-DSCENARIOS=${probe_scenarios}" "-DUNREACHABLE=${probes_without_a_path}"
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/check_probes.cmake
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(simrun_probe_coverage PROPERTIES LABELS "scenario")

# The chaos family (issue 10): each scenarios/chaos_*.json swept over a few
# seeds as written and a few with --swarm (each seed its own fault mix); the
# 200-seed sweeps that qualify them are in scenarios/README.md.
file(GLOB chaos_files CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/scenarios/chaos_*.json)
foreach(file ${chaos_files})
  get_filename_component(stem ${file} NAME_WE)
  add_test(NAME scenario_${stem}_sweep
           COMMAND ${CMAKE_COMMAND} -DSIMRUN=${simrun_exe} -DEXPECT_RC=0
                   "-DARGS=sweep;${file};--seeds;2..3;--jobs;1"
                   -P ${check_exit}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  add_test(NAME scenario_${stem}_swarm_sweep
           COMMAND ${CMAKE_COMMAND} -DSIMRUN=${simrun_exe} -DEXPECT_RC=0
                   "-DARGS=sweep;${file};--seeds;2..3;--jobs;1;--swarm"
                   -P ${check_exit}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(scenario_${stem}_sweep scenario_${stem}_swarm_sweep PROPERTIES LABELS "scenario")
endforeach()

add_test(NAME scenario_chaos_family_uses_every_fault_kind
         COMMAND ${CMAKE_COMMAND} -DSCHEMA=${PROJECT_SOURCE_DIR}/scenarios/scenario.schema.json
                 "-DSCENARIOS=${chaos_files}" -P ${CMAKE_CURRENT_SOURCE_DIR}/check_chaos_kinds.cmake)
set_tests_properties(scenario_chaos_family_uses_every_fault_kind PROPERTIES LABELS "scenario")

# chaos_process seeds that found a defect, each run alone so the fix stays
# (scenarios/README.md, "The chaos family"). 18, 27, 142: acked_records, a
# node paused across a producer's crash and restart answered the old
# incarnation's produce requests on the new incarnation's connection
# (fixed by answering on the request's own connection, sim::Env::reply).
# 74: consumer_offsets, a new __meta leader answered a restarted consumer's
# OffsetFetch before applying its predecessor's last offset commit (fixed:
# offsets are read once the leader applied an entry of its own term).
set(chaos_process_found_seeds 18 27 74 142)
foreach(seed ${chaos_process_found_seeds})
  add_test(NAME scenario_chaos_process_seed_${seed}
           COMMAND ${CMAKE_COMMAND} -DSIMRUN=${simrun_exe} -DEXPECT_RC=0
                   "-DARGS=${PROJECT_SOURCE_DIR}/scenarios/chaos_process.json;--seed;${seed};--quiet"
                   -P ${check_exit}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(scenario_chaos_process_seed_${seed} PROPERTIES LABELS "scenario")
endforeach()
