// Windowed disk and link faults (issue 11), each observed through the
// mechanism it acts on (how long an fsync-waiting fiber blocks, what
// survives a crash, what a receiver gets) during its window and after it.
#include "tools/simrun/window_faults.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sim/connection.h"

namespace simrun::cli {
namespace {

using sim::Bytes;
using sim::millis;
using sim::ProcessId;
using sim::time_ns;

SettingValue probability(double p) {
  SettingValue value;
  value.probability = p;
  return value;
}

SettingValue latency(sim::duration_ns fixed) {
  SettingValue value;
  value.latency = sim::DurationDistribution::fixed(fixed);
  return value;
}

// A process that appends and fsyncs every 10 ms, noting (issued, waited).
struct FsyncLoop {
  explicit FsyncLoop(sim::WorldConfig config = {}) : world(config) {
    process = world.add_process("p", [this](sim::Env& env) {
      for (int i = 0; i < 100; ++i) {
        const time_ns issued = env.now();
        env.disk().append("log", Bytes{static_cast<std::uint8_t>(i), 1, 2, 3});
        env.disk().fsync();
        waits.emplace_back(issued, env.now() - issued);
        env.sleep(millis(10));
      }
    });
    world.start(process);
  }
  sim::World world;
  ProcessId process = 0;
  std::vector<std::pair<time_ns, sim::duration_ns>> waits;
};

}  // namespace

TEST_CASE("disk_slow: fsyncs issued in the window take the slow latency; healed after it") {
  sim::WorldConfig config;
  config.default_disk.fsync_latency = sim::DurationDistribution::fixed(millis(1));
  FsyncLoop loop(config);
  WindowedSettings windows(loop.world);
  std::uint64_t window = 0;
  loop.world.loop().schedule_at(millis(100), [&] {
    window = windows.begin(WindowedSetting::disk_fsync_latency, loop.process, loop.process,
                           latency(millis(50)));
  });
  loop.world.loop().schedule_at(millis(400), [&] { windows.end(window); });
  loop.world.run_until(millis(800));
  int slow = 0;
  for (const auto& [issued, waited] : loop.waits) {
    if (issued >= millis(100) && issued < millis(400)) {
      CHECK(waited == millis(50));  // the loop really waits for the slow disk
      ++slow;
    } else {
      CHECK(waited == millis(1));
    }
  }
  CHECK(slow >= 4);
  CHECK(loop.waits.back().first > millis(500));  // healed: back to 1 ms per fsync
  CHECK(windows.active_windows() == 0);
  CHECK(loop.world.disk(loop.process).config().fsync_latency.base_ns == millis(1));
}

TEST_CASE("disk_corrupt: fsynced writes flip bits only inside the window") {
  FsyncLoop loop;
  WindowedSettings windows(loop.world);
  std::uint64_t window = 0;
  std::uint64_t flips_at_end = 0;
  loop.world.loop().schedule_at(millis(100), [&] {
    CHECK(loop.world.disk(loop.process).stats().bit_flips == 0);
    window =
        windows.begin(WindowedSetting::disk_bit_flip, loop.process, loop.process, probability(1.0));
  });
  loop.world.loop().schedule_at(millis(200), [&] {
    windows.end(window);
    flips_at_end = loop.world.disk(loop.process).stats().bit_flips;
  });
  loop.world.run_until(millis(600));
  CHECK(flips_at_end >= 9);  // every fsynced append of the window
  CHECK(loop.world.disk(loop.process).stats().bit_flips == flips_at_end);
  CHECK(loop.world.disk(loop.process).config().bit_flip_probability == 0.0);
}

TEST_CASE("disk_torn_writes: a crash inside the window tears the last append, after it not") {
  for (const bool crash_in_window : {true, false}) {
    CAPTURE(crash_in_window);
    sim::World world{sim::WorldConfig{}};
    const ProcessId p = world.add_process("p", [](sim::Env& env) {
      env.disk().append("log", Bytes{1, 2, 3});
      env.disk().fsync();
      env.disk().append("log", Bytes{4, 5, 6, 7, 8, 9, 10, 11});  // never synced
      env.sleep(sim::seconds(10));
    });
    world.start(p);
    WindowedSettings windows(world);
    std::uint64_t window = 0;
    world.loop().schedule_at(millis(10), [&] {
      window = windows.begin(WindowedSetting::disk_torn_write, p, p, probability(1.0));
    });
    world.loop().schedule_at(millis(20), [&] { windows.end(window); });
    world.run_until(crash_in_window ? millis(15) : millis(25));
    world.crash(p);
    const std::size_t kept = world.disk(p).read("log")->size();
    if (crash_in_window) {
      CHECK(world.disk(p).stats().torn_writes == 1);
      CHECK(kept > 3);
      CHECK(kept < 11);
    } else {
      CHECK(world.disk(p).stats().torn_writes == 0);
      CHECK(kept == 3);
    }
  }
}

namespace {
// Two processes; p0 sends one datagram and one connection message to p1
// every 5 ms, tagged with a counter; p1 notes what arrives and how. The
// tests' windows run from 202 to 502 ms: tags 41..100 are sent inside.
struct LinkFixture {
  LinkFixture() : world(sim::WorldConfig{}) {
    for (int i = 0; i < 2; ++i) {
      const ProcessId id = world.add_process("p", [this](sim::Env& env) {
        while (true) {
          const sim::Envelope envelope = env.inbox().receive();
          if (envelope.reset) continue;
          const auto tag = static_cast<int>(envelope.payload.at(0)) * 256 + envelope.payload.at(1);
          (envelope.connection == 0 ? datagrams : stream).emplace_back(tag, env.now());
        }
      });
      world.start(id);
    }
    for (int tag = 0; tag < 200; ++tag) {
      world.loop().schedule_at(millis(5) * tag, [this, tag] {
        const Bytes payload{static_cast<std::uint8_t>(tag / 256), static_cast<std::uint8_t>(tag)};
        world.network().send(0, 1, payload);
        world.network().connections().send(0, 1, payload, sim::seconds(5));
      });
    }
  }
  // Tags of datagrams sent in [from, to) (5 ms apart) that arrived.
  std::vector<int> datagram_tags(time_ns from, time_ns to) const {
    std::vector<int> tags;
    for (const auto& [tag, at] : datagrams) {
      if (millis(5) * tag >= from && millis(5) * tag < to) tags.push_back(tag);
    }
    return tags;
  }
  std::vector<int> stream_tags() const {
    std::vector<int> tags;
    for (const auto& entry : stream) tags.push_back(entry.first);
    return tags;
  }
  sim::World world;
  std::vector<std::pair<int, time_ns>> datagrams;
  std::vector<std::pair<int, time_ns>> stream;
};

std::vector<int> zero_to(int count) {
  std::vector<int> tags;
  for (int tag = 0; tag < count; ++tag) tags.push_back(tag);
  return tags;
}
}  // namespace

TEST_CASE("net_loss: datagrams in the window are lost, a connection only delayed; healed after") {
  LinkFixture fixture;
  WindowedSettings windows(fixture.world);
  std::uint64_t window = 0;
  fixture.world.loop().schedule_at(millis(202), [&] {
    window = windows.begin(WindowedSetting::link_drop, 0, 1, probability(1.0));
  });
  fixture.world.loop().schedule_at(millis(502), [&] { windows.end(window); });
  fixture.world.run_until(sim::seconds(5));
  CHECK(fixture.datagram_tags(millis(202), millis(502)).empty());        // real loss
  CHECK(fixture.datagram_tags(millis(502), millis(1000)).size() == 99);  // healed
  CHECK(fixture.datagram_tags(0, millis(202)).size() == 41);
  // The connection delivers everything once, in order, late: retransmission.
  CHECK(fixture.stream_tags() == zero_to(200));
  CHECK(fixture.world.network().connections().stats().retransmissions > 0);
  time_ns latest_in_window = 0;
  for (const auto& [tag, at] : fixture.stream) {
    if (tag >= 41 && tag <= 100) latest_in_window = std::max(latest_in_window, at);
  }
  CHECK(latest_in_window >= millis(502));  // held until after the heal
  CHECK(fixture.world.network().link(0, 1).drop_probability == 0.0);
  CHECK(fixture.world.network().link(1, 0).drop_probability == 0.0);  // one way only
}

TEST_CASE("net_duplicate: datagrams in the window arrive twice, a connection's once") {
  LinkFixture fixture;
  WindowedSettings windows(fixture.world);
  std::uint64_t window = 0;
  fixture.world.loop().schedule_at(millis(202), [&] {
    window = windows.begin(WindowedSetting::link_duplicate, 0, 1, probability(1.0));
  });
  fixture.world.loop().schedule_at(millis(502), [&] { windows.end(window); });
  fixture.world.run_until(sim::seconds(5));
  CHECK(fixture.datagram_tags(millis(202), millis(502)).size() == 2 * 60);
  CHECK(fixture.datagram_tags(millis(502), millis(1000)).size() == 99);  // healed
  CHECK(fixture.stream_tags() == zero_to(200));
  CHECK(fixture.world.network().connections().stats().duplicates_discarded >= 60);
}

TEST_CASE("net_reorder: datagrams overtake each other in the window, a connection stays in order") {
  LinkFixture fixture;
  WindowedSettings windows(fixture.world);
  std::uint64_t window = 0;
  SettingValue reorder = probability(1.0);
  reorder.reorder_delay_max_ns = millis(40);
  fixture.world.loop().schedule_at(
      millis(202), [&] { window = windows.begin(WindowedSetting::link_reorder, 0, 1, reorder); });
  fixture.world.loop().schedule_at(millis(502), [&] { windows.end(window); });
  fixture.world.run_until(sim::seconds(5));
  int overtaken = 0;
  int previous = -1;
  for (const auto& [tag, at] : fixture.datagrams) {
    if (tag < previous) {
      ++overtaken;
      CHECK(tag >= 41);  // sent inside the window
      CHECK(tag <= 100);
    }
    previous = std::max(previous, tag);
  }
  CHECK(overtaken > 5);
  CHECK(fixture.datagrams.size() == 200);
  CHECK(fixture.stream_tags() == zero_to(200));
  CHECK(fixture.world.network().link(0, 1).reorder_probability == 0.0);
  CHECK(fixture.world.network().link(0, 1).reorder_delay_max_ns == 0);
}

TEST_CASE("overlapping windows: the latest holds; each end restores, never undoes another") {
  sim::World world{sim::WorldConfig{}};
  for (int i = 0; i < 2; ++i) world.add_process("p", [](sim::Env&) {});
  WindowedSettings windows(world);
  const auto drop = [&] { return world.network().link(0, 1).drop_probability; };
  const std::uint64_t outer = windows.begin(WindowedSetting::link_drop, 0, 1, probability(0.5));
  const std::uint64_t inner = windows.begin(WindowedSetting::link_drop, 0, 1, probability(0.9));
  const std::uint64_t spike =
      windows.begin(WindowedSetting::link_latency, 0, 1, latency(millis(300)));
  CHECK(drop() == 0.9);
  windows.end(outer);  // the inner, later window still holds
  CHECK(drop() == 0.9);
  windows.end(inner);
  CHECK(drop() == 0.0);                                              // healed
  CHECK(world.network().link(0, 1).latency.base_ns == millis(300));  // the spike stays
  windows.end(spike);
  CHECK(world.network().link(0, 1).latency.base_ns == millis(1));
  CHECK(windows.active_windows() == 0);
}

TEST_CASE("link windows cover targets -> peers one way, or every link of the targets") {
  using Links = std::vector<std::pair<ProcessId, ProcessId>>;
  CHECK(WindowedSettings::links({0}, {1, 2}, true, 3) == Links{{0, 1}, {0, 2}});
  CHECK(WindowedSettings::links({0}, {0, 2}, true, 3) == Links{{0, 2}});
  CHECK(WindowedSettings::links({1}, {}, false, 3) == Links{{0, 1}, {1, 0}, {1, 2}, {2, 1}});
  CHECK(WindowedSettings::links({0, 1}, {}, false, 2) == Links{{0, 1}, {1, 0}});
}

}  // namespace simrun::cli
