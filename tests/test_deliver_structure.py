"""deliver/ keeps its shape (docs/delivery.md): one send policy, no reaching into other
objects, behaviour chosen by the channel class's ``kind`` and not by type names."""

from __future__ import annotations

import ast
from pathlib import Path

DELIVER = Path(__file__).resolve().parent.parent / "src" / "trustpublish" / "deliver"


def _trees() -> dict[str, ast.AST]:
    return {p.name: ast.parse(p.read_text(encoding="utf-8")) for p in DELIVER.glob("*.py")}


def test_ledger_deliveries_are_sent_only_through_the_send_policy() -> None:
    callers = {name for name, tree in _trees().items() for node in ast.walk(tree)
               if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
               and node.func.attr == "publish"}
    assert "send.py" in callers
    # the single-delivery path and the fan-out workers both go through send_with_retries
    assert not callers & {"engine.py", "fanout.py", "workers.py", "commands.py", "recovery.py"}
    users = {name for name, tree in _trees().items() for node in ast.walk(tree)
             if isinstance(node, ast.Name) and node.id == "send_with_retries"}
    assert {"engine.py", "workers.py"} <= users


def test_no_module_writes_another_objects_private_fields() -> None:
    offenders = []
    for name, tree in _trees().items():
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
            for target in targets:
                if (isinstance(target, ast.Attribute) and target.attr.startswith("_")
                        and not (isinstance(target.value, ast.Name) and target.value.id == "self")):
                    offenders.append(f"{name}:{node.lineno}")
    assert offenders == []


def test_no_type_name_comparisons() -> None:
    names = {"email", "outbox", "feed", "webhook", "mastodon", "bluesky"}
    offenders = []
    for name, tree in _trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq))
                                                     for op in node.ops):
                constants = [c.value for c in [node.left, *node.comparators]
                             if isinstance(c, ast.Constant)]
                if any(c in names for c in constants):
                    offenders.append(f"{name}:{node.lineno}")
    assert offenders == []


def test_the_engine_no_longer_replaces_its_stop_flag_from_outside() -> None:
    for name, tree in _trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    assert not (isinstance(target, ast.Attribute) and target.attr == "stop"
                                and not (isinstance(target.value, ast.Name)
                                         and target.value.id == "self")), name
