"""The hostile suite's tally: each case records what happened, and the session ends with a summary."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.hostile.cases import CASES

_OUTCOMES: dict[str, str] = {}  # test id -> "clear error", "correct result", "refused", ... or the failure


@pytest.fixture()
def record_outcome(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Call with a short word for what the file led to; a failing or xfailed test is tallied as such.

    A test that tries several files at once (one upload of many) names each with `case`, so each is counted."""

    def record(what: str, case: str = "") -> None:
        _OUTCOMES[f"{request.node.nodeid}[{case!r}]" if case else request.node.nodeid] = what

    return record


@pytest.fixture(scope="session")
def hostile_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every generated case, written once (the bombs take a few seconds to compress)."""
    folder = tmp_path_factory.mktemp("hostile")
    scratch = tmp_path_factory.mktemp("scratch")
    out = {}
    for case in CASES:
        path = folder / case.filename
        path.write_bytes(case.make(scratch))
        out[case.name] = path
    return out


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if "tests/hostile/" not in item.nodeid.replace("\\", "/") or report.when != "call":
        return
    mine = [key for key in _OUTCOMES if key == item.nodeid or key.startswith(f"{item.nodeid}[")] or [item.nodeid]
    for key in mine:
        if hasattr(report, "wasxfail"):
            _OUTCOMES[key] = "known bug (xfail)"
        elif report.failed:
            _OUTCOMES[key] = "FAILED"
        else:
            _OUTCOMES.setdefault(key, "passed")


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if not _OUTCOMES:
        return
    tally = Counter(_OUTCOMES.values())
    terminalreporter.section("hostile input suite")
    terminalreporter.write_line(f"{len(_OUTCOMES)} cases: " + ", ".join(f"{n} {what}" for what, n in tally.most_common()))
    for nodeid, what in sorted(_OUTCOMES.items()):
        if what in ("FAILED", "known bug (xfail)"):
            terminalreporter.write_line(f"  {what}: {nodeid.split('::', 1)[-1]}")
