"""The adaptive leader hunt: every time a leader of orders/0 appears, isolate
it for 3 s, ten times; then let the cluster settle.

Isolating each new leader as soon as it is elected leaves, after the second
hunt, one node alone with no quorum. With pre-vote and check-quorum (the
recommended profile) the lone node's pre-votes fail and terms stay low: the
term bound (one term per hunt, plus two) holds: exit 0. Without them, the
lone node campaigns for real every election timeout and raises the term
each time, and an isolated old leader never steps down (so fewer leaders
appear to hunt): the bound and the ten hunts fail (exit 1):

    simrun scenarios/leader_hunt.py
    simrun scenarios/leader_hunt.py --set cluster.raft.pre_vote=false \
        --set cluster.raft.check_quorum=false
"""

import simrun

HUNTS = 10
ISOLATION_MS = 3000
# Each hunt should cost orders/0 one term (one election among the rest),
# plus the first election and one spare: the bound is hunts + 2.
TERM_SLACK = 2

scenario = {
    "name": "leader_hunt",
    "description": "Isolate every new leader of orders/0 for 3 s, ten times (leader_hunt.py).",
    "seed": 1,
    "duration": "60s",
    "cluster": {"nodes": 3, "profile": "recommended"},
    "network": {"latency": {"kind": "lognormal", "base_ms": 0.2, "median_ms": 0.5,
                            "sigma": 0.5, "max_ms": 20}},
    "workload": {
        "topics": [{"name": "orders", "partitions": 1}],
        "producers": [{"topic": "orders", "rate_per_second": 20, "acks": -1}],
    },
}

sim = simrun.Simulation(scenario)
hunted = []        # (time_ms, node, term) of each isolated leader
isolated_at = []   # when the current batch of isolations began


def hunt(event):
    """Isolates each new leader of orders/0 at the instant it is elected."""
    if event["group"] != "orders/0" or len(hunted) >= HUNTS:
        return
    if sim.inject({"action": "isolate", "targets": [f"n{event['node']}"]}):
        hunted.append((event["time_ms"], event["node"], event["term"]))
        if not isolated_at:
            isolated_at.append(event["time_ms"])


sim.on("leader_elected", hunt)
# The heals: ISOLATION after the first isolation of a batch, everything
# heals (a leader elected meanwhile among the rest is isolated too, and
# heals with it).
while len(hunted) < HUNTS or isolated_at:
    if not sim.run_until_true(lambda: bool(isolated_at), check_every=100):
        break  # the end of the run
    sim.run_until(isolated_at[0] + ISOLATION_MS)
    sim.inject({"action": "heal"})
    isolated_at.clear()

for at_ms, node, term in hunted:
    print(f"  hunt at {at_ms:>6} ms: isolated n{node} (leader of orders/0 in term {term})")
sim.check("leaders of orders/0 hunted", len(hunted), ">=", HUNTS)
sim.add_assertion("max_term", "<=", len(hunted) + TERM_SLACK, group="orders/0",
                  name="orders/0 term <= hunts + 2 (one term per hunt)")
sim.finish()
