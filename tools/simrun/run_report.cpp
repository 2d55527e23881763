#include "tools/simrun/run_report.h"

#include <fmt/format.h>

#include <fstream>

#include "sim/assert.h"
#include "tools/simrun/html_page.h"
#include "tools/simrun/input_error.h"
#include "tools/simrun/junit.h"

namespace simrun::cli {

namespace {

std::ofstream open_for_writing(const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw InputError(path + ": cannot write the report");
  return out;
}

}  // namespace

void RunReport::attach(Simulation& simulation) {
  // The processes exist already: their process.add records went by.
  const sim::World& world = simulation.world();
  timeline_.emplace(sim::millis(simulation.end_ms()));
  for (sim::ProcessId process = 0; process < world.process_count(); ++process) {
    chrome_trace_.add_process(static_cast<std::int64_t>(process), world.name(process));
    timeline_->add_process(static_cast<std::int64_t>(process), world.name(process));
  }
  for (const std::string& group : simulation.group_names()) {
    chrome_trace_.set_heartbeat_period(group, simulation.heartbeat_period(group));
    timeline_->set_heartbeat_period(group, simulation.heartbeat_period(group));
  }
  simulation.add_trace_observer([this](const sim::TraceRecord& record) {
    chrome_trace_.observe(record);
    timeline_->observe(record);
  });
}

void RunReport::write(const std::string& dir, const RunOutcome& outcome) const {
  {
    std::ofstream out = open_for_writing(dir + "/junit.xml");
    out << junit_xml({junit_for_run(outcome)});
  }
  {
    std::ofstream out = open_for_writing(dir + "/trace.json");
    chrome_trace_.write(
        out, sim::millis(outcome.sim_time_ms),
        fmt::format("{} [{}] seed {}", outcome.scenario_name, outcome.profile, outcome.seed));
  }
  SIMRUN_ASSERT(timeline_.has_value(), "write() of a report never attached to a run");
  std::ofstream out = open_for_writing(dir + "/report.html");
  out << run_report_html(summary_json(outcome),
                         timeline_->to_json(sim::millis(outcome.sim_time_ms)));
}

}  // namespace simrun::cli
