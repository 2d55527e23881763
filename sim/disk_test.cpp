// Disk semantics and faults, observed through reads after crashes and
// through how long an fsync-waiting fiber is blocked.
#include "sim/disk.h"

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/world.h"

namespace simrun::sim {

namespace {
Bytes bytes_of(std::string_view text) { return Bytes(text.begin(), text.end()); }
}  // namespace

TEST_CASE("buffered changes are visible at once; a crash keeps synced and loses unsynced") {
  World world(WorldConfig{});
  std::vector<std::string> seen_after_restart;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    Disk& disk = env.disk();
    if (env.incarnation() == 1) {
      disk.write("a", bytes_of("synced"));
      disk.append("log", bytes_of("one,"));
      disk.fsync();
      disk.append("log", bytes_of("two,"));
      disk.write("b", bytes_of("unsynced"));
      disk.remove("a");
      CHECK(disk.read("log") == bytes_of("one,two,"));
      CHECK_FALSE(disk.read("a").has_value());
      CHECK(disk.list() == std::vector<std::string>{"b", "log"});
      CHECK(disk.unsynced_bytes() == 12);
      env.sleep(seconds(10));
    } else {
      for (const std::string& name : disk.list()) {
        const Bytes content = *disk.read(name);
        seen_after_restart.push_back(name + "=" + std::string(content.begin(), content.end()));
      }
    }
  });
  world.start(p);
  world.run_until(seconds(1));
  world.crash(p);
  CHECK(world.disk(p).stats().bytes_lost_at_crash == 12);
  world.restart(p);
  world.run_until(seconds(2));
  CHECK(seen_after_restart == std::vector<std::string>{"a=synced", "log=one,"});
}

TEST_CASE("has_unsynced_change names the files a crash would change") {
  World world(WorldConfig{});
  const ProcessId p = world.add_process("p", [](Env&) {});
  Disk& disk = world.disk(p);
  CHECK_FALSE(disk.has_unsynced_change("a"));
  disk.write("a", bytes_of("one"));
  disk.append("log", bytes_of("x"));
  CHECK(disk.has_unsynced_change("a"));
  CHECK(disk.has_unsynced_change("log"));
  CHECK_FALSE(disk.has_unsynced_change("b"));
  disk.fsync();  // from the scheduler context: durable at once
  CHECK_FALSE(disk.has_unsynced_change("a"));
  CHECK_FALSE(disk.has_unsynced_change("log"));
  disk.remove("a");
  CHECK(disk.has_unsynced_change("a"));
  CHECK_FALSE(disk.has_unsynced_change("log"));
}

TEST_CASE("fsync blocks only its fiber for the configured latency") {
  WorldConfig config;
  config.default_disk.fsync_latency = DurationDistribution::fixed(millis(4));
  World world(config);
  time_ns fsync_done = -1;
  time_ns other_ran = -1;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    env.spawn("other", [&] { other_ran = env.now(); });
    env.disk().append("f", bytes_of("x"));
    env.disk().fsync();
    fsync_done = env.now();
  });
  world.start(p);
  world.run_until(seconds(1));
  CHECK(other_ran == 0);
  CHECK(fsync_done == millis(4));
  CHECK(world.disk(p).stats().fsyncs == 1);
  CHECK(world.disk(p).stats().fsync_wait_ns_max == millis(4));
}

TEST_CASE("disk stall delays fsyncs in progress and issued during the window") {
  WorldConfig config;
  config.default_disk.fsync_latency = DurationDistribution::fixed(millis(1));
  World world(config);
  std::vector<time_ns> completions;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    env.disk().append("f", bytes_of("x"));
    env.disk().fsync();  // before the stall: 0 -> 1 ms
    completions.push_back(env.now());
    env.sleep(millis(9));  // now 10 ms; the stall starts at 10.5 ms
    env.disk().append("f", bytes_of("y"));
    env.disk().fsync();  // in progress when the stall starts
    completions.push_back(env.now());
    env.disk().append("f", bytes_of("z"));
    env.disk().fsync();  // issued after the stall window
    completions.push_back(env.now());
  });
  world.start(p);
  world.loop().schedule_at(millis(10) + micros(500), [&] { world.disk(p).stall(millis(200)); });
  world.run_until(seconds(1));
  REQUIRE(completions.size() == 3);
  CHECK(completions[0] == millis(1));
  CHECK(completions[1] == millis(210) + micros(500));
  CHECK(completions[2] == millis(211) + micros(500));
  CHECK(world.fault_counts().at("disk_stall") == 1);
}

TEST_CASE("torn write: a proper prefix of the last unsynced append survives a crash") {
  WorldConfig config;
  config.default_disk.torn_write_probability = 1.0;
  World world(config);
  const ProcessId p = world.add_process("p", [](Env& env) {
    env.disk().append("log", bytes_of("head|"));
    env.disk().fsync();
    env.disk().append("log", bytes_of("0123456789abcdef"));
    env.sleep(seconds(10));
  });
  world.start(p);
  world.run_until(seconds(1));
  world.crash(p);
  const Bytes after = *world.disk(p).read("log");
  const std::string text(after.begin(), after.end());
  CHECK(text.size() > 5);   // some of the append survived...
  CHECK(text.size() < 21);  // ...but not all of it
  CHECK(text == std::string("head|0123456789abcdef").substr(0, text.size()));
  CHECK(world.disk(p).stats().torn_writes == 1);
  CHECK(world.fault_counts().at("torn_write") == 1);
}

TEST_CASE("bit flip: an fsynced write differs in exactly one bit after a crash") {
  WorldConfig config;
  config.default_disk.bit_flip_probability = 1.0;
  World world(config);
  const Bytes original = bytes_of("the quick brown fox");
  const ProcessId p = world.add_process("p", [&](Env& env) {
    env.disk().write("f", original);
    env.disk().fsync();
    CHECK(env.disk().read("f") == original);  // the page cache still has good data
    env.sleep(seconds(10));
  });
  world.start(p);
  world.run_until(seconds(1));
  world.crash(p);
  const Bytes after = *world.disk(p).read("f");
  REQUIRE(after.size() == original.size());
  int differing_bits = 0;
  for (std::size_t i = 0; i < after.size(); ++i) {
    differing_bits += __builtin_popcount(static_cast<unsigned>(after[i] ^ original[i]));
  }
  CHECK(differing_bits == 1);
  CHECK(world.disk(p).stats().bit_flips == 1);
}

TEST_CASE("keep_from drops a file's head in place; a crash before the fsync brings it back") {
  World world(WorldConfig{});
  const ProcessId p = world.add_process("p", [](Env& env) { env.sleep(seconds(1000)); });
  world.start(p);
  Disk& disk = world.disk(p);
  disk.append("log", bytes_of("head,tail"));
  disk.fsync();
  disk.keep_from("log", 5);
  CHECK(disk.read("log") == bytes_of("tail"));
  REQUIRE(disk.view("log").has_value());
  CHECK(Bytes(disk.view("log")->begin(), disk.view("log")->end()) == bytes_of("tail"));
  CHECK(disk.has_unsynced_change("log"));
  CHECK(disk.unsynced_bytes() == 4);  // what a write of the kept bytes carries
  world.crash(p);
  CHECK(disk.read("log") == bytes_of("head,tail"));
  world.restart(p);
  disk.keep_from("log", 5);
  disk.fsync();
  world.crash(p);
  CHECK(disk.read("log") == bytes_of("tail"));
  disk.keep_from("missing", 0);  // like write("missing", {})
  CHECK(disk.read("missing") == Bytes{});
  CHECK_FALSE(disk.view("absent").has_value());
}

TEST_CASE("per-process disk configs differ") {
  World world(WorldConfig{});
  std::vector<time_ns> done(2, -1);
  for (int i = 0; i < 2; ++i) {
    const ProcessId p = world.add_process("p", [&done, i](Env& env) {
      env.disk().append("f", bytes_of("x"));
      env.disk().fsync();
      done[static_cast<std::size_t>(i)] = env.now();
    });
    DiskConfig slow;
    slow.fsync_latency = DurationDistribution::fixed(millis(i == 0 ? 2 : 50));
    world.disk(p).set_config(slow);
    world.start(p);
  }
  world.run_until(seconds(1));
  CHECK(done == std::vector<time_ns>{millis(2), millis(50)});
}

// Issue 8: the device queue. Fibers of one process issue fsyncs at the same
// instant; the device services them `queue_depth` at a time, in issue order.
namespace {
std::vector<time_ns> concurrent_fsync_completions(std::uint32_t depth, int fibers,
                                                  DiskStats* stats = nullptr) {
  WorldConfig config;
  config.default_disk.fsync_latency = DurationDistribution::fixed(millis(4));
  config.default_disk.queue_depth = depth;
  World world(config);
  std::vector<time_ns> done;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    for (int i = 0; i < fibers; ++i) {
      env.spawn("group" + std::to_string(i), [&env, &done, i] {
        env.disk().append("log" + std::to_string(i), bytes_of("entry"));
        env.disk().fsync();
        done.push_back(env.now());
      });
    }
  });
  world.start(p);
  world.run_until(seconds(1));
  CHECK(world.disk(p).fsyncs_in_flight() == 0);
  if (stats != nullptr) *stats = world.disk(p).stats();
  return done;
}
}  // namespace

TEST_CASE("device queue depth 1: concurrent fsyncs of one node wait in line") {
  DiskStats stats;
  const auto done = concurrent_fsync_completions(1, 4, &stats);
  // The k-th fsync waits for the k-1 before it: latency compounds.
  CHECK(done == std::vector<time_ns>{millis(4), millis(8), millis(12), millis(16)});
  CHECK(stats.fsyncs == 4);
  CHECK(stats.fsync_wait_ns_max == millis(16));
  CHECK(stats.fsync_queue_ns_max == millis(12));
  CHECK(stats.fsync_queue_ns_total == millis(0 + 4 + 8 + 12));
}

TEST_CASE("device queue depth 2 services two fsyncs at once; a deep queue none in line") {
  CHECK(concurrent_fsync_completions(2, 4) ==
        std::vector<time_ns>{millis(4), millis(4), millis(8), millis(8)});
  DiskStats stats;
  CHECK(concurrent_fsync_completions(8, 4, &stats) == std::vector<time_ns>(4, millis(4)));
  CHECK(stats.fsync_queue_ns_max == 0);
}

TEST_CASE("each disk has its own device queue") {
  WorldConfig config;
  config.default_disk.fsync_latency = DurationDistribution::fixed(millis(4));
  World world(config);
  std::vector<time_ns> done;
  for (int i = 0; i < 3; ++i) {
    const ProcessId p = world.add_process("p" + std::to_string(i), [&done](Env& env) {
      env.disk().append("log", bytes_of("entry"));
      env.disk().fsync();
      done.push_back(env.now());
    });
    world.start(p);
  }
  world.run_until(seconds(1));
  CHECK(done == std::vector<time_ns>(3, millis(4)));
}

TEST_CASE("a stall holds the fsync in service and delays the start of those queued behind") {
  WorldConfig config;
  config.default_disk.fsync_latency = DurationDistribution::fixed(millis(4));
  World world(config);
  std::vector<time_ns> done;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    for (int i = 0; i < 2; ++i) {
      env.spawn("group" + std::to_string(i), [&env, &done] {
        env.disk().append("log", bytes_of("entry"));
        env.disk().fsync();
        done.push_back(env.now());
      });
    }
  });
  world.start(p);
  // The first fsync is in service (0 -> 4 ms), the second queued (4 -> 8).
  world.loop().schedule_at(millis(2), [&] { world.disk(p).stall(millis(100)); });
  world.run_until(seconds(1));
  CHECK(done == std::vector<time_ns>{millis(102), millis(106)});
  CHECK(world.disk(p).stats().fsync_queue_ns_max == millis(102));
}

TEST_CASE("a crash empties the device queue; the restarted process finds it idle") {
  WorldConfig config;
  config.default_disk.fsync_latency = DurationDistribution::fixed(millis(50));
  World world(config);
  time_ns restarted_done = -1;
  const ProcessId p = world.add_process("p", [&](Env& env) {
    if (env.incarnation() == 1) {
      for (int i = 0; i < 5; ++i) {
        env.spawn("group" + std::to_string(i), [&env] {
          env.disk().append("log", bytes_of("entry"));
          env.disk().fsync();
        });
      }
      return;
    }
    env.disk().append("log", bytes_of("again"));
    env.disk().fsync();
    restarted_done = env.now();
  });
  world.start(p);
  world.run_until(millis(10));
  CHECK(world.disk(p).fsyncs_in_flight() == 5);
  world.crash(p);
  CHECK(world.disk(p).fsyncs_in_flight() == 0);
  world.restart(p);
  world.run_until(seconds(1));
  CHECK(restarted_done == millis(60));
}

// The disk keeps one copy of each file and undoes buffered changes at a
// crash (issue 12). This checks it against the model it replaced, two full
// maps (the medium and the page cache) with every change applied to both,
// drawing bit flips and torn writes in the same order from the same "disk"
// stream (a second world with the same seed): after every step the reads
// and listings agree, and after every crash so does what survived.
// keep_from is modelled as what it stands for, a write of the kept bytes.
namespace {
class TwoCopyDiskModel {
 public:
  TwoCopyDiskModel(Rng& rng, const DiskConfig& config) : rng_(rng), config_(config) {}
  struct Change {
    int kind = 0;  // 0 write, 1 append, 2 truncate, 3 remove
    std::string file;
    Bytes bytes;
    std::size_t size = 0;
  };
  void buffer(const Change& change) {
    apply(cached_, change);
    buffered_.push_back(change);
  }
  void fsync() {
    for (const Change& change : buffered_) {
      const std::size_t before =
          change.kind == 1 && durable_.count(change.file) != 0 ? durable_[change.file].size() : 0;
      apply(durable_, change);
      if ((change.kind != 0 && change.kind != 1) || change.bytes.empty() ||
          config_.bit_flip_probability <= 0.0)
        continue;
      if (!rng_.bernoulli(config_.bit_flip_probability)) continue;
      const std::uint64_t bit = rng_.below(change.bytes.size() * 8);
      Bytes& medium = durable_[change.file];
      medium[before + bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    }
    buffered_.clear();
  }
  void crash() {
    if (!buffered_.empty() && buffered_.back().kind == 1 && buffered_.back().bytes.size() > 1 &&
        config_.torn_write_probability > 0.0 && rng_.bernoulli(config_.torn_write_probability)) {
      const Bytes& bytes = buffered_.back().bytes;
      const std::size_t kept = 1 + static_cast<std::size_t>(rng_.below(bytes.size() - 1));
      Bytes& content = durable_[buffered_.back().file];
      content.insert(content.end(), bytes.begin(), bytes.begin() + static_cast<long>(kept));
    }
    buffered_.clear();
    cached_ = durable_;
  }
  const std::map<std::string, Bytes>& files() const { return cached_; }

 private:
  static void apply(std::map<std::string, Bytes>& files, const Change& change) {
    switch (change.kind) {
      case 0:
        files[change.file] = change.bytes;
        break;
      case 1:
        files[change.file].insert(files[change.file].end(), change.bytes.begin(),
                                  change.bytes.end());
        break;
      case 2:
        files[change.file].resize(change.size);
        break;
      default:
        files.erase(change.file);
        break;
    }
  }
  Rng& rng_;
  DiskConfig config_;
  std::map<std::string, Bytes> durable_;
  std::map<std::string, Bytes> cached_;
  std::vector<Change> buffered_;
};
}  // namespace

TEST_CASE("one copy with undo: reads and crashes agree with the two-copy model") {
  for (const double flip : {0.0, 0.3, 1.0}) {
    for (const double torn : {0.0, 0.5, 1.0}) {
      WorldConfig config;
      config.seed = 7;
      config.default_disk.bit_flip_probability = flip;
      config.default_disk.torn_write_probability = torn;
      World world(config);
      World twin(config);  // its "disk" stream draws what this world's disk draws
      TwoCopyDiskModel model(twin.stream("disk"), config.default_disk);
      Rng steps(1234);
      const ProcessId p = world.add_process("p", [](Env& env) { env.sleep(seconds(1000)); });
      world.start(p);
      Disk& disk = world.disk(p);
      const std::vector<std::string> names = {"a", "b", "log"};
      int crashes = 0;
      for (int step = 0; step < 3000; ++step) {
        CAPTURE(flip);
        CAPTURE(torn);
        CAPTURE(step);
        const std::uint64_t action = steps.below(20);
        TwoCopyDiskModel::Change change;
        change.file = names[steps.below(names.size())];
        if (action < 4) {
          change.kind = 0;
          change.bytes.assign(steps.below(12), static_cast<std::uint8_t>(step));
          disk.write(change.file, change.bytes);
        } else if (action < 11) {
          change.kind = 1;
          change.bytes.assign(steps.below(9), static_cast<std::uint8_t>(step * 7));
          disk.append(change.file, change.bytes);
        } else if (action < 13) {
          change.kind = 2;
          change.size = steps.below(30);
          disk.truncate(change.file, change.size);
        } else if (action < 14) {
          change.kind = 3;
          disk.remove(change.file);
        } else if (action < 15) {
          change.kind = 0;
          const auto found = model.files().find(change.file);
          if (found != model.files().end()) {
            const Bytes& content = found->second;
            const std::size_t offset = steps.below(content.size() + 1);
            change.bytes.assign(content.begin() + static_cast<long>(offset), content.end());
            disk.keep_from(change.file, offset);
          } else {
            disk.keep_from(change.file, 0);
          }
        } else if (action < 18) {
          disk.fsync();
          model.fsync();
          continue;
        } else {
          world.crash(p);
          model.crash();
          world.restart(p);
          ++crashes;
          for (const auto& entry : model.files()) REQUIRE(disk.read(entry.first) == entry.second);
          REQUIRE(disk.list().size() == model.files().size());
          continue;
        }
        model.buffer(change);
        REQUIRE(disk.read(change.file) == (model.files().count(change.file) != 0
                                               ? std::optional<Bytes>(model.files().at(change.file))
                                               : std::nullopt));
      }
      std::vector<std::string> listed;
      for (const auto& entry : model.files()) listed.push_back(entry.first);
      CHECK(disk.list() == listed);
      for (const auto& entry : model.files()) CHECK(disk.read(entry.first) == entry.second);
      CHECK(crashes > 100);
      if (flip > 0.0) CHECK(disk.stats().bit_flips > 0);
      if (torn > 0.0) CHECK(disk.stats().torn_writes > 0);
    }
  }
}

}  // namespace simrun::sim
