"""Crash the follower furthest behind, under load: every 4 s, find the
follower of orders/0 with the lowest applied index (the one a leader would
have to catch up the most) and crash it for 2 s. Producers keep writing with
acks=all; no acknowledged record may be lost and the safety checkers must
stay quiet.

    simrun scenarios/crash_furthest_follower.py [--seed N]
"""

import simrun

GROUP = "orders/0"

scenario = {
    "name": "crash_furthest_follower",
    "description": "Crash the orders/0 follower furthest behind every 4 s (crash_furthest_follower.py).",
    "seed": 1,
    "duration": "40s",
    "cluster": {"nodes": 3, "profile": "recommended"},
    "network": {"latency": {"kind": "lognormal", "base_ms": 0.2, "median_ms": 0.5,
                            "sigma": 0.5, "max_ms": 20}},
    "disk": {"fsync_latency": {"kind": "lognormal", "base_ms": 0.2, "median_ms": 1,
                               "sigma": 0.6, "max_ms": 50}},
    "workload": {
        "topics": [{"name": "orders", "partitions": 1}],
        "producers": [{"topic": "orders", "rate_per_second": 100, "acks": -1}],
        "consumers": [{"topic": "orders", "poll_interval_ms": 100}],
    },
}


def furthest_behind(sim):
    """(node, applied index) of the up follower of GROUP furthest behind, or None."""
    leader = sim.leader(GROUP)
    followers = []
    for view in sim.nodes():
        replica = view["groups"].get(GROUP)
        if view["up"] and replica is not None and view["node"] != leader:
            followers.append((replica["applied_index"], view["node"]))
    if leader is None or not followers:
        return None
    applied, node = min(followers)  # ties: the lower node id, deterministically
    return node, applied


sim = simrun.Simulation(scenario)
crashes = 0
sim.run_until("4s")
while sim.now_ms + 4000 <= 30_000:
    target = furthest_behind(sim)
    if target is not None:
        node, applied = target
        print(f"  {sim.now_ms:>6} ms: crash n{node} (applied {applied} of {GROUP})")
        crashes += sim.inject({"action": "crash", "targets": [f"n{node}"], "duration": "2s"})
    sim.run_for("4s")

sim.check("followers crashed", crashes, ">=", 5)
sim.add_assertion("produce.lost_acked", "==", 0, name="no acknowledged record lost")
sim.add_assertion("produce.acked", ">=", 100, name="the producer kept writing")
sim.finish()
