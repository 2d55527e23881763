"""A timing sweep from one script: the election timeout from 150 ms to 3 s
against campaigns and elections per minute and the time to the first leader,
each under the same faults (the same seed, the same nemesis schedule: the
"faults" random stream does not depend on timeouts).

    simrun scenarios/timing_sweep.py [--seed N]

Prints one table row per timeout; exits 1 if a run fails its checkers or if
the table is not shaped the way Raft predicts (a longer timeout must not
find its first leader sooner than a 150 ms one).
"""

import simrun

TIMEOUTS_MS = [150, 300, 500, 1000, 2000, 3000]

scenario = {
    "name": "timing_sweep",
    "description": "One row of the election-timeout sweep (timing_sweep.py).",
    "seed": 1,
    "duration": "60s",
    "cluster": {"nodes": 3, "profile": "recommended"},
    "network": {"latency": {"kind": "lognormal", "base_ms": 0.2, "median_ms": 0.5,
                            "sigma": 0.5, "max_ms": 20}},
    "workload": {
        "topics": [{"name": "orders", "partitions": 1}],
        "producers": [{"topic": "orders", "rate_per_second": 20, "acks": -1}],
    },
    # Leaders are lost now and then, so there is something to elect.
    "nemesis": {"from": "5s", "to": "50s", "kinds": [
        {"action": "isolate", "mean_interval": "8s", "targets": ["leader:orders/0"],
         "duration": "2s"}]},
}

rows = []
for timeout_ms in TIMEOUTS_MS:
    # 10 ms ticks for every row, so 150 ms is 15 ticks; the heartbeat stays
    # a tenth of the timeout (at least one tick).
    heartbeat_ms = max(10, timeout_ms // 10)
    summary = simrun.run(scenario, set=["cluster.raft.tick_interval_ms=10",
                                        f"cluster.raft.election_timeout_ms={timeout_ms}",
                                        f"cluster.raft.heartbeat_interval_ms={heartbeat_ms}"])
    group = summary["metrics"]["groups"]["orders/0"]
    minutes = summary["sim_time_ms"] / 60_000
    campaigns = group["elections_started"] + group["pre_vote_campaigns"]
    rows.append((timeout_ms, campaigns / minutes, group["elections_per_min"],
                 group["time_to_first_leader_ms"], summary["passed"]))

print(f"| election timeout | campaigns/min | elections/min | first leader (ms) | passed |")
print(f"|-----------------:|--------------:|--------------:|------------------:|:------:|")
for timeout_ms, campaigns, elections, first_ms, passed in rows:
    print(f"| {timeout_ms:>13} ms | {campaigns:>13.1f} | {elections:>13.1f} | "
          f"{first_ms:>17.1f} | {'yes' if passed else 'NO':^6} |")

assert all(row[4] for row in rows), "every run of the sweep passes its checkers"
assert rows[-1][3] >= rows[0][3], "a 3 s timeout finds its first leader no sooner than 150 ms"
