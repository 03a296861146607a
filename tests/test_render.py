"""Presentation helpers: counts read as English, passage text is marked up without losing a character."""

from __future__ import annotations

from triage.render import plural


def test_plural_is_singular_only_for_one() -> None:
    assert [plural(n, "page") for n in (0, 1, 2)] == ["0 pages", "1 page", "2 pages"]
    assert plural(1, "reviewed passage") == "1 reviewed passage"
    assert plural(2, "entry", "entries") == "2 entries"
