"""Presentation helpers: counts read as English, passage text is marked up without losing a character."""

from __future__ import annotations

import html
import re

from triage.review.render import highlight_html, plural
from triage.types import Cue, Entity

TEXT = "Militia in Kidal looted <the> market."


def test_plural_is_singular_only_for_one() -> None:
    assert [plural(n, "page") for n in (0, 1, 2)] == ["0 pages", "1 page", "2 pages"]
    assert plural(1, "reviewed passage") == "1 reviewed passage"
    assert plural(2, "entry", "entries") == "2 entries"


def test_cues_are_a_quiet_dotted_underline_and_entities_a_soft_background() -> None:
    marked = highlight_html(TEXT, [Entity("Kidal", "GPE", 11, 16)], [Cue("looted", 17, 23, 0.3)])
    cue = re.search(r'<span class="cue"[^>]*>looted</span>', marked)
    assert cue and "underline dotted" in cue[0] and "background" not in cue[0] and "title=" in cue[0]
    assert "<b" not in marked and "font-weight" not in marked  # no bold: it made passages hard to read
    ent = re.search(r'<span class="ent ent-GPE" title="GPE" style="background:#\w{6}[^>]*>Kidal<', marked)
    assert ent and "<sup" in marked  # the type shows on hover and after the name


def test_marking_keeps_every_character_even_where_marks_overlap() -> None:
    marked = highlight_html(TEXT, [Entity("Kidal looted", "GPE", 11, 23)], [Cue("in Kidal", 8, 16, 0.3)])
    assert marked.count('class="cue"') == marked.count('class="ent') == 2  # cut where the marks cross
    assert html.unescape(re.sub(r"<sup[^>]*>[^<]*</sup>|<[^>]+>", "", marked)) == TEXT


def test_each_flag_underlines_its_few_strongest_cues_once() -> None:
    from triage.review.render import salient_cues

    rf14 = [Cue("looted", 17, 23, 2.0), Cue("Militia", 0, 7, 1.5), Cue("market", 29, 35, 0.9),
            Cue("in", 8, 10, 0.5)]  # the fourth is past the three kept per flag
    rf1 = [Cue("Militia", 0, 7, 1.0), Cue("Kidal", 11, 16, 0.2)]  # Kidal: under 30% of this flag's best
    kept = salient_cues([rf14, rf1])
    assert [c.text for c in kept] == ["Militia", "looted", "market"]  # reading order, Militia once
    assert salient_cues([[], rf1]) == [rf1[0]]
    assert salient_cues([]) == []
