# cmake -DSIMRUN=... -DCHROMIUM=... -DDIR=... -DARGS="scenario;--set;..." -P check_report_page.cmake
#
# Runs simrun with --report DIR, loads DIR/report.html in headless chromium
# from its file path (no server, no network), and checks the rendered DOM
# against DIR/summary.json and the scenario: one node lane per node, one
# group lane per Raft group, one fault window per applied fault, and the
# violation marker exactly when a checker found a violation. Saves
# DIR/report.png. Prints "SKIPPED:" (CTest's skip) without chromium.
if(NOT CHROMIUM)
  message("SKIPPED: chromium is not installed (tools/setup.sh installs it); the HTML report was not checked in a browser")
  return()
endif()
file(REMOVE_RECURSE ${DIR})
execute_process(COMMAND ${SIMRUN} ${ARGS} --quiet --report ${DIR}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 AND NOT rc EQUAL 1)
  message(FATAL_ERROR "simrun ${ARGS}: exit ${rc}\n${out}\n${err}")
endif()

file(READ ${DIR}/summary.json summary)
string(JSON scenario_file GET "${summary}" scenario)
file(READ ${scenario_file} scenario)
string(JSON expected_nodes GET "${scenario}" cluster nodes)
string(JSON expected_groups LENGTH "${summary}" metrics groups)
string(JSON expected_faults GET "${summary}" faults applied)
string(JSON violations GET "${summary}" violation_count)

set(browser ${CHROMIUM} --headless --no-sandbox --disable-gpu --disable-background-networking
    --disable-component-update --disable-sync --no-first-run --user-data-dir=${DIR}/chromium-profile
    --window-size=1400,1100)
execute_process(COMMAND ${browser} --dump-dom file://${DIR}/report.html
                RESULT_VARIABLE rc OUTPUT_FILE ${DIR}/dom.html ERROR_VARIABLE err TIMEOUT 120)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "chromium --dump-dom: exit ${rc}\n${err}")
endif()
execute_process(COMMAND ${browser} --screenshot=${DIR}/report.png file://${DIR}/report.html
                RESULT_VARIABLE rc ERROR_VARIABLE err TIMEOUT 120)
if(NOT rc EQUAL 0 OR NOT EXISTS ${DIR}/report.png)
  message(FATAL_ERROR "chromium --screenshot: exit ${rc}\n${err}")
endif()

file(READ ${DIR}/dom.html dom)
function(count pattern out)
  string(REGEX MATCHALL "${pattern}" found "${dom}")
  list(LENGTH found n)
  set(${out} ${n} PARENT_SCOPE)
endfunction()
count("data-rendered=\"1\"" rendered)
count("class=\"lane lane-node\"" node_lanes)
count("class=\"lane lane-group\"" group_lanes)
count("class=\"fault-window\"" fault_windows)
count("id=\"violation-marker\"" markers)
count("id=\"verdict\"" verdicts)
set(problems "")
if(NOT rendered EQUAL 1)
  string(APPEND problems "the page's script did not finish drawing\n")
endif()
if(NOT node_lanes EQUAL expected_nodes)
  string(APPEND problems "${node_lanes} node lanes, expected ${expected_nodes}\n")
endif()
if(NOT group_lanes EQUAL expected_groups)
  string(APPEND problems "${group_lanes} group lanes, expected ${expected_groups}\n")
endif()
if(NOT fault_windows EQUAL expected_faults)
  string(APPEND problems "${fault_windows} fault windows, expected ${expected_faults}\n")
endif()
if(violations GREATER 0 AND NOT markers EQUAL 1)
  string(APPEND problems "no violation marker, but ${violations} violation(s)\n")
endif()
if(violations EQUAL 0 AND NOT markers EQUAL 0)
  string(APPEND problems "a violation marker without a violation\n")
endif()
if(NOT verdicts EQUAL 1)
  string(APPEND problems "no verdict\n")
endif()
if(problems)
  message(FATAL_ERROR "${DIR}/report.html as rendered:\n${problems}")
endif()
message("report.html drew ${node_lanes} node lanes, ${group_lanes} group lanes, "
        "${fault_windows} fault windows, ${markers} violation marker(s); screenshot ${DIR}/report.png")
