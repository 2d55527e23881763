# Browser tests of the HTML reports: each report.html is loaded headless in
# Debian's chromium from its file path, and the rendered DOM must show what
# the run's summary.json says (check_report_page.cmake). A screenshot of
# each page is saved beside it under build/reports/. Where chromium is not
# installed, the tests report SKIPPED (tools/setup.sh installs it).
if(NOT SIMRUN_BUILD_TESTS)
  return()
endif()
find_program(SIMRUN_CHROMIUM NAMES chromium chromium-browser)
set(check_page ${CMAKE_CURRENT_SOURCE_DIR}/check_report_page.cmake)
foreach(profile recommended v1.3.67)
  set(name browser_report_three_node_churn_${profile})
  add_test(NAME ${name}
           COMMAND ${CMAKE_COMMAND} -DSIMRUN=$<TARGET_FILE:simrun> "-DCHROMIUM=${SIMRUN_CHROMIUM}"
                   -DDIR=${CMAKE_BINARY_DIR}/reports/${name}
                   "-DARGS=scenarios/three_node_churn.json;--set;cluster.profile=\"${profile}\""
                   -P ${check_page}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES LABELS "browser" SKIP_REGULAR_EXPRESSION "SKIPPED:")
endforeach()
set(check_distribution ${CMAKE_CURRENT_SOURCE_DIR}/check_distribution_page.cmake)
foreach(kind sweep gate table)
  set(name browser_report_${kind})
  add_test(NAME ${name}
           COMMAND ${CMAKE_COMMAND} -DSIMRUN=$<TARGET_FILE:simrun> "-DCHROMIUM=${SIMRUN_CHROMIUM}"
                   -DDIR=${CMAKE_BINARY_DIR}/reports/${name} -DKIND=${kind} -P ${check_distribution}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES LABELS "browser" SKIP_REGULAR_EXPRESSION "SKIPPED:")
endforeach()
