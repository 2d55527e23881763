"""simrun: the deterministic cluster simulator, from Python (type stub).

Kept in step with tools/python/bindings.cpp; tools/python/tests/test_stub.py
checks that every name the module defines is here and the other way round.
"""

from os import PathLike
from typing import Any, Callable, Literal, Optional, TypedDict, Union

__version__: str

Millis = Union[int, str]  # milliseconds, or a duration like "30s", "500ms", "2m"
Scenario = Union[str, PathLike[str], dict[str, Any]]
EventName = Literal[
    "election_started", "leader_elected", "leader_lost", "fault_applied", "violation"
]

class InputError(ValueError):
    """Bad input: the message names the file, the JSON path and what was expected."""

class Event(TypedDict):
    kind: EventName
    time_ms: int
    group: Optional[str]
    node: Optional[int]
    term: int
    fields: dict[str, Any]

class GroupView(TypedDict):
    role: Literal["follower", "pre_candidate", "candidate", "leader"]
    term: int
    leader: Optional[int]
    commit_index: int
    applied_index: int

class NodeView(TypedDict):
    node: int
    process_state: Literal["created", "running", "paused", "crashed"]
    up: bool
    groups: dict[str, GroupView]

class Simulation:
    """One scenario run, advanced step by step in simulated time."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        seed: Optional[int] = None,
        set: Optional[list[str]] = None,
        duration: Optional[Millis] = None,
        report: Optional[str] = None,
    ) -> None: ...
    def run_until(self, time: Millis) -> None: ...
    def run_for(self, duration: Millis) -> None: ...
    def run_until_true(
        self, condition: Callable[[], bool], check_every: Millis = 10, limit: Optional[Millis] = None
    ) -> bool: ...
    def inject(self, fault: dict[str, Any]) -> bool: ...
    def add_assertion(
        self,
        metric: str,
        op: Literal["<=", "<", ">=", ">", "=="],
        bound: float,
        *,
        group: Optional[str] = None,
        name: Optional[str] = None,
        window: Optional[tuple[Millis, Millis]] = None,
    ) -> None: ...
    def check(
        self,
        name: str,
        value: float,
        op: Literal["<=", "<", ">=", ">", "=="] = "==",
        bound: float = 1.0,
    ) -> bool: ...
    def on(self, event: EventName, callback: Callable[[Event], Any]) -> Callable[[Event], Any]: ...
    @property
    def now_ms(self) -> int: ...
    @property
    def end_ms(self) -> int: ...
    @property
    def finished(self) -> bool: ...
    def leader(self, group: str) -> Optional[int]: ...
    def groups(self) -> list[str]: ...
    @property
    def node_count(self) -> int: ...
    def node(self, node: int) -> NodeView: ...
    def nodes(self) -> list[NodeView]: ...
    def metrics(self) -> dict[str, Any]: ...
    def metric(self, name: str, group: Optional[str] = None) -> float: ...
    @property
    def trace_hash(self) -> str: ...
    def random_below(self, bound: int) -> int: ...
    def finish(self) -> dict[str, Any]: ...

def run(
    scenario: Scenario,
    seed: Optional[int] = None,
    set: Optional[list[str]] = None,
    duration: Optional[Millis] = None,
    report: Optional[str] = None,
) -> dict[str, Any]: ...
def load(scenario: Scenario, set: Optional[list[str]] = None) -> dict[str, Any]: ...
def event_kinds() -> list[str]: ...
def metric_names() -> list[str]: ...
