"""Tests of the simrun Python module (run by CTest: python_simrun_pytest).

CTest sets PYTHONPATH to build/python and SIMRUN to the simrun command, and
runs from the repository root.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import simrun

ROOT = Path(__file__).resolve().parents[3]
SIMRUN = os.environ.get("SIMRUN", str(ROOT / "build" / "simrun"))
CHURN = str(ROOT / "scenarios" / "three_node_churn.json")
STALL = str(ROOT / "scenarios" / "heartbeat_stall.json")


def cli(*args, env=None):
    return subprocess.run([SIMRUN, *args], capture_output=True, text=True, cwd=ROOT, env=env)


def cli_summary(tmp_path, *args):
    report = tmp_path / "cli-report"
    result = cli(*args, "--quiet", "--report", str(report))
    assert result.returncode in (0, 1), result.stderr
    return json.loads((report / "summary.json").read_text())


def test_run_returns_summary_json_with_the_cli_trace_hash(tmp_path):
    expected = cli_summary(tmp_path, STALL, "--seed", "3", "--duration", "8s")
    summary = simrun.run(STALL, seed=3, duration="8s", report=str(tmp_path / "py-report"))
    assert summary["trace_hash"] == expected["trace_hash"]
    assert set(summary) == set(expected) - {"wall_time_ms"} | {"wall_time_ms"}
    written = json.loads((tmp_path / "py-report" / "summary.json").read_text())
    assert written["trace_hash"] == expected["trace_hash"]
    # The other report files, as the command writes them.
    cli_files = sorted(p.name for p in (tmp_path / "cli-report").iterdir())
    assert sorted(p.name for p in (tmp_path / "py-report").iterdir()) == cli_files
    assert "junit.xml" in cli_files
    assert summary["passed"] == expected["passed"]
    assert summary["metrics"] == expected["metrics"]


def test_set_overrides_as_on_the_command_line(tmp_path):
    args = ["cluster.raft.pre_vote=false", "cluster.profile=v1.3.67"]
    expected = cli_summary(tmp_path, CHURN, "--duration", "6s", "--set", args[0], "--set", args[1])
    summary = simrun.run(CHURN, duration=6000, set=args)
    assert summary["trace_hash"] == expected["trace_hash"]
    assert summary["override_args"] == args
    assert summary["overrides"] == {"cluster.raft.pre_vote": False, "cluster.profile": "v1.3.67"}
    # The effective configuration, as summary.json has it: profile, overrides, every knob.
    assert summary["config"] == expected["config"]
    assert summary["config"]["profile"] == "v1.3.67"
    assert summary["config"]["raft"]["pre_vote"] is False
    assert summary["config"]["raft"]["tick_interval_ms"] == 10
    assert summary["config"]["broker"]["ready_mode"] == "inline_sequential"


def test_a_dict_scenario_runs_like_its_file():
    document = json.loads(Path(STALL).read_text())
    from_dict = simrun.run(document, duration="5s")
    from_file = simrun.run(STALL, duration="5s")
    assert from_dict["trace_hash"] == from_file["trace_hash"]
    assert from_dict["scenario"] == "<dict>"


def test_bad_input_has_the_cli_message(tmp_path):
    bad = tmp_path / "bad.json"
    document = json.loads(Path(STALL).read_text())
    document["cluster"]["nodes"] = "three"
    bad.write_text(json.dumps(document))
    result = cli(str(bad))
    assert result.returncode == 2
    with pytest.raises(simrun.InputError) as raised:
        simrun.Simulation(str(bad))
    assert str(raised.value) in result.stderr
    assert "/cluster/nodes" in str(raised.value)
    with pytest.raises(simrun.InputError, match="no_such_key"):
        simrun.run(STALL, set=["no_such_key=1"])
    with pytest.raises(ValueError):  # InputError is a ValueError
        simrun.load({"name": "x"})


def test_stepping_and_reading_state_do_not_change_the_run():
    whole = simrun.run(CHURN, duration="10s")
    sim = simrun.Simulation(CHURN, duration="10s")
    assert sim.now_ms == 0
    assert sim.run_until_true(lambda: sim.leader("__meta") is not None, check_every=50)
    leader = sim.leader("__meta")
    view = sim.node(leader)
    assert view["up"] and view["process_state"] == "running"
    assert view["groups"]["__meta"]["role"] == "leader"
    assert view["groups"]["__meta"]["applied_index"] <= view["groups"]["__meta"]["commit_index"]
    sim.run_until("3s")
    assert sim.now_ms == 3000
    assert [v["node"] for v in sim.nodes()] == [1, 2, 3]
    assert sim.metric("max_term", "__meta") >= 1
    assert "groups" in sim.metrics()
    sim.run_for(1234)
    assert sim.now_ms == 4234
    summary = sim.finish()
    assert summary["trace_hash"] == whole["trace_hash"]
    assert sim.finish() == summary  # idempotent
    with pytest.raises(RuntimeError):
        sim.run_for(1)


def test_callbacks_fire_at_the_simulated_time_of_the_event():
    sim = simrun.Simulation(CHURN, duration="20s")
    seen = []

    def on_leader(event):
        assert event["time_ms"] == sim.now_ms
        assert sim.leader(event["group"]) is not None
        seen.append(event)

    sim.on("leader_elected", on_leader)
    lost = []
    sim.on("leader_lost", lost.append)
    faults = []
    sim.on("fault_applied", faults.append)
    started = []
    sim.on("election_started", started.append)
    summary = sim.finish()
    assert summary["trace_hash"] == simrun.run(CHURN, duration="20s")["trace_hash"]
    assert {e["group"] for e in seen} >= {"__meta", "orders/0", "orders/1"}
    assert len(started) >= len(seen)
    # three_node_churn crashes a node at 30 s: not reached in 20 s. Its
    # partition at 20 s neither. The fsync stalls and the spike are faults.
    assert faults and all(f["fields"]["action"] for f in faults)
    assert all(e["kind"] == "leader_lost" for e in lost)
    with pytest.raises(simrun.InputError, match="leader_found"):
        sim2 = simrun.Simulation(CHURN, duration="1s")
        sim2.on("leader_found", print)


# One minimal entry per fault kind of the scenario format.
FAULTS = {
    "crash": {"targets": ["n2"], "duration": "1s"},
    "restart": {"targets": ["n2"]},
    "pause": {"targets": ["n3"], "duration": "500ms"},
    "resume": {"targets": ["n3"]},
    "clock_offset": {"targets": ["n1"], "params": {"offset_ms": 50}, "duration": "1s"},
    "clock_drift": {"targets": ["n1"], "params": {"drift_ppm": 500}, "duration": "1s"},
    "clock_jump": {"targets": ["n1"], "params": {"delta_ms": 200}},
    "partition": {"params": {"groups": [["n1"], ["n2", "n3"]]}, "duration": "1s"},
    "cut_one_way": {"targets": ["n1"], "params": {"to": ["n2"]}, "duration": "1s"},
    "isolate": {"targets": ["leader:__meta"], "duration": "1s"},
    "bridge": {"params": {"left": ["n1"], "right": ["n3"], "bridge": "n2"}, "duration": "1s"},
    "clog": {"targets": ["n1"], "params": {"to": ["n2"]}, "duration": "300ms"},
    "heal": {},
    "disk_stall": {"targets": ["follower:__meta"], "duration": "400ms"},
    "latency_spike": {"targets": ["random"], "duration": "1s",
                      "params": {"latency": {"kind": "fixed", "value_ms": 30}}},
    "disk_corrupt": {"targets": ["n2"], "duration": "1s", "params": {"bit_flip_probability": 0.1}},
    "disk_torn_writes": {"targets": ["n2"], "duration": "1s",
                         "params": {"torn_write_probability": 1.0}},
    "disk_slow": {"targets": ["n3"], "duration": "1s",
                  "params": {"fsync_latency": {"kind": "fixed", "value_ms": 20}}},
    "net_loss": {"targets": ["n1"], "duration": "1s",
                 "params": {"to": ["n2"], "drop_probability": 0.2}},
    "net_duplicate": {"targets": ["n1"], "duration": "1s",
                      "params": {"to": ["n3"], "duplicate_probability": 0.2}},
    "net_reorder": {"targets": ["n2"], "duration": "1s",
                    "params": {"to": ["n1"], "reorder_probability": 0.3, "reorder_delay_max_ms": 20}},
    "controlled_shutdown": {"targets": ["leader:__meta"], "duration": "1s"},
}


def test_every_fault_kind_can_be_injected():
    schema = json.loads((ROOT / "scenarios" / "scenario.schema.json").read_text())
    kinds = schema["definitions"]["action"]["enum"]
    assert sorted(FAULTS) == sorted(kinds), "FAULTS must list every action of the schema"
    sim = simrun.Simulation(CHURN, duration="30s")
    applied = []
    sim.on("fault_applied", lambda e: applied.append(e["fields"].get("origin", "")))
    sim.run_until("2s")
    for action in kinds:
        assert sim.inject({"action": action, **FAULTS[action]}) in (True, False)
        sim.run_for("1500ms")
    scripted = [origin for origin in applied if origin.startswith("script/")]
    assert len(scripted) >= len(kinds) - 2  # a leader: target may be leaderless
    assert sim.finish()["faults"]["applied"] >= len(scripted)
    with pytest.raises(simrun.InputError, match="/faults/"):
        simrun.Simulation(CHURN, duration="2s").inject({"action": "crash", "targets": ["n7"]})


def test_assertions_and_checks_decide_the_verdict():
    sim = simrun.Simulation(CHURN, duration="5s")
    sim.add_assertion("max_term", "<=", 0, group="__meta", name="impossible term")
    assert sim.check("fine", True)
    summary = sim.finish()
    assert not summary["passed"]
    assert summary["failed"] == ["impossible term"]
    sim = simrun.Simulation(CHURN, duration="5s")
    assert not sim.check("the script says no", 3, "<", 2)
    assert simrun.Simulation(CHURN, duration="1s").finish()["passed"]
    assert sim.finish()["failed"] == ["the script says no"]
    with pytest.raises(simrun.InputError, match="operator"):
        simrun.Simulation(CHURN, duration="1s").check("x", 1, "~", 1)
    with pytest.raises(simrun.InputError, match="no_such_metric"):
        simrun.Simulation(CHURN, duration="1s").add_assertion("no_such_metric", "<", 1)


def hunt_script(seed):
    """A scripted run with callbacks and injections: its hash is the test."""
    sim = simrun.Simulation(CHURN, seed=seed, duration="15s")
    hunted = []

    def hunt(event):
        if event["group"] == "orders/0" and len(hunted) < 3:
            target = sim.random_below(3) + 1  # the run's own randomness
            hunted.append(sim.inject({"action": "isolate", "targets": [f"n{target}"],
                                      "duration": "1s"}))

    sim.on("leader_elected", hunt)
    summary = sim.finish()
    return summary["trace_hash"], len(hunted)


def test_same_script_and_seed_same_hash_twice_in_one_process():
    first = hunt_script(5)
    second = hunt_script(5)
    assert first == second
    assert 1 <= first[1] <= 3
    assert hunt_script(6)[0] != first[0]


def test_same_script_and_seed_same_hash_in_two_processes(tmp_path):
    code = ("import sys; sys.path.insert(0, %r); import test_simrun as t; print(t.hunt_script(5)[0])"
            % str(Path(__file__).parent))
    env = dict(os.environ, PYTHONHASHSEED="random")
    outputs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=env, cwd=ROOT, check=True).stdout.strip() for _ in range(2)]
    assert outputs[0] == outputs[1] == hunt_script(5)[0]


def test_cli_runs_a_script_twice_with_one_trace_hash(tmp_path):
    hashes = []
    for run in range(2):
        report = tmp_path / f"run{run}"
        result = cli("scenarios/leader_hunt.py", "--seed", "2", "--quiet", "--report", str(report))
        assert result.returncode == 0, result.stdout + result.stderr
        hashes.append(json.loads((report / "summary.json").read_text())["trace_hash"])
        assert (report / "junit.xml").exists()
    assert hashes[0] == hashes[1]
    assert "simrun scenarios/leader_hunt.py --seed 2" in result.stdout


def script(tmp_path, text):
    path = tmp_path / "script.py"
    path.write_text(text)
    return str(path)


def test_cli_exit_codes_for_scripts(tmp_path):
    ok = script(tmp_path, f"import simrun\nsimrun.Simulation({CHURN!r}, duration='2s')\n")
    result = cli(ok, "--seed", "4")
    assert result.returncode == 0, result.stderr
    assert "repro: simrun " + ok + " --seed 4" in result.stdout

    raises = script(tmp_path, "import simrun\nraise KeyError('boom')\n")
    result = cli(raises)
    assert result.returncode == 2
    assert "Traceback" in result.stderr and "KeyError: 'boom'" in result.stderr

    fails = script(tmp_path, "assert 1 + 1 == 3, 'arithmetic'\n")
    result = cli(fails)
    assert result.returncode == 1
    assert "AssertionError: arithmetic" in result.stderr

    bad = script(tmp_path, f"import simrun\nsimrun.run({CHURN!r}, set=['cluster.nodes=0'])\n")
    result = cli(bad)
    assert result.returncode == 2 and "/cluster/nodes" in result.stderr

    failing_run = script(tmp_path, f"import simrun\ns = simrun.Simulation({CHURN!r}, duration='2s')\n"
                                   "s.check('nope', False)\n")
    assert cli(failing_run).returncode == 1


def test_a_script_that_never_yields_is_stopped_by_its_budget(tmp_path):
    spin = script(tmp_path, "import simrun\nwhile True:\n    pass\n")
    env = dict(os.environ, SIMRUN_SCRIPT_LINE_BUDGET="100000")
    result = cli(spin, env=env)
    assert result.returncode == 2
    assert "budget" in result.stderr


def test_cli_seed_and_set_reach_the_script(tmp_path):
    probe = script(tmp_path, f"import simrun\ns = simrun.Simulation({CHURN!r}, duration='1s')\n"
                             "print('SEED', s.finish()['seed'], s.finish()['override_args'])\n")
    result = cli(probe, "--seed", "9", "--set", "cluster.raft.pre_vote=false")
    assert result.returncode in (0, 1), result.stderr  # 1 s is too short for its bounds
    assert "SEED 9 ['cluster.raft.pre_vote=false']" in result.stdout


def test_the_stub_names_what_the_module_defines():
    stub = (Path(__file__).resolve().parents[1] / "simrun.pyi").read_text()
    public = {name for name in dir(simrun) if not name.startswith("_")}
    for name in public:
        assert f"def {name}(" in stub or f"class {name}(" in stub or f"class {name}:" in stub, name
    for name in (n for n in dir(simrun.Simulation) if not n.startswith("_")):
        assert f"def {name}(" in stub, name
    assert simrun.event_kinds() == ["election_started", "leader_elected", "leader_lost",
                                    "fault_applied", "violation"]
    for kind in simrun.event_kinds():
        assert f'"{kind}"' in stub
    assert simrun.Simulation.run_until.__doc__


# --- Python scenarios in sweep, gate and shrink -----------------------------

def seeds_jsonl(report):
    return [json.loads(line) for line in (report / "seeds.jsonl").read_text().splitlines()]


def test_sweep_runs_a_script_per_seed_with_the_cli_hash(tmp_path):
    report = tmp_path / "sweep"
    result = cli("sweep", "scenarios/leader_hunt.py", "--seeds", "3", "--jobs", "2",
                 "--report", str(report))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sweep: 3 passed, 0 failed" in result.stdout
    assert "hunt at" not in result.stdout  # the script's prints stay in its worker
    seeds = {entry["seed"]: entry for entry in seeds_jsonl(report)}
    assert sorted(seeds) == [1, 2, 3]  # a script's first seed defaults to 1
    single = cli_summary(tmp_path, "scenarios/leader_hunt.py", "--seed", "2")
    assert seeds[2]["trace_hash"] == single["trace_hash"]
    assert seeds[2]["metrics"]["max_term"] == single["metrics"]["max_term"]
    sweep = json.loads((report / "sweep.json").read_text())
    assert sweep["scenario"] == "scenarios/leader_hunt.py" and sweep["profile"] == "script"


def test_sweep_of_a_script_reports_failing_seeds_with_repro_lines(tmp_path):
    result = cli("sweep", "scenarios/leader_hunt.py", "--seeds", "2", "--jobs", "1",
                 "--set", "cluster.raft.pre_vote=false", "--set", "cluster.raft.check_quorum=false")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "sweep: 0 passed, 2 failed" in result.stdout
    assert ("repro: simrun scenarios/leader_hunt.py --seed 1 --set 'cluster.raft.pre_vote=false'"
            " --set 'cluster.raft.check_quorum=false'") in result.stdout


def test_sweep_of_a_script_with_several_runs_and_one_that_raises(tmp_path):
    two_runs = script(tmp_path, f"import simrun\n"
                                f"simrun.run({CHURN!r}, duration='1s')\n"
                                f"simrun.run({CHURN!r}, duration='2s')\n")
    report = tmp_path / "two"
    result = cli("sweep", two_runs, "--seeds", "5..6", "--jobs", "1", "--report", str(report))
    assert result.returncode in (0, 1), result.stderr
    entry = seeds_jsonl(report)[0]
    assert entry["seed"] == 5
    assert entry["metrics"]["run-1.time_to_first_leader_ms"] > 0
    assert "run-2.max_term" in entry["metrics"] and "max_term" not in entry["metrics"]
    assert entry["sim_time_ms"] >= 3000  # both runs (each may be stretched to its liveness deadline)

    raises = script(tmp_path, "import simrun\nraise KeyError('boom')\n")
    report = tmp_path / "raises"
    result = cli("sweep", raises, "--seeds", "1", "--report", str(report))
    assert result.returncode == 1
    entry = seeds_jsonl(report)[0]
    assert entry["status"] == "error"
    assert "KeyError: 'boom'" in entry["first_failure"]


def test_gate_and_shrink_say_where_scripts_do_not_apply(tmp_path):
    base, cand = tmp_path / "base", tmp_path / "cand"
    for folder, extra in ((base, []), (cand, ["--set", "cluster.raft.election_timeout_ms=300"])):
        result = cli("sweep", "scenarios/leader_hunt.py", "--seeds", "4", "--jobs", "2",
                     "--report", str(folder), *extra)
        assert result.returncode in (0, 1), result.stderr
    result = cli("gate", "--baseline", str(base), "--candidate", str(cand))
    assert result.returncode == 2
    assert "a Python scenario has no gates section; pass --scenario" in result.stderr
    # The gates of the JSON scenario the script builds on apply to its metrics.
    result = cli("gate", "--baseline", str(base), "--candidate", str(cand), "--scenario", CHURN)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    assert (cand / "gate.json").exists()

    result = cli("shrink", "scenarios/leader_hunt.py", "--seed", "1", "-o", str(tmp_path / "m.json"))
    assert result.returncode == 2
    assert "shrink works on JSON scenarios, not on Python scripts" in result.stderr
