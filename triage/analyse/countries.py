"""Entities -> the document's countries, by voting: a lone country name that reads as a surname loses.

The gazetteer tags every country name, so a victim called "Amadou Togo" filed a Mali report under Togo.
A report names its own country, towns and regions many times (each town votes for its country through
the gazetteer), so a country that is not the document's leading one, whose mention follows a first name
or a title, is a person's name.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from triage.types import Entity, Passage

# A capitalised word or a title right before the country name, in the same sentence: "Amadou Togo", "Mr. Chad".
_NAME_BEFORE = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Mme|M)\.?|\b[A-ZÀ-Ö][a-zà-öø-ÿ'’-]+)\s+$")
# Words that start a place phrase, not a name: "in Togo", "the Togo border" never match the pattern above,
# but a sentence can begin with "In Togo"; these capitalised words are not first names.
_NOT_NAMES = frozenset({"In", "From", "To", "Of", "And", "The", "At", "On", "By", "For", "With", "Between",
                        "Both", "Including", "Like", "Unlike", "While", "Northern", "Southern", "Eastern", "Western", "Central", "Neighbouring", "Neighboring"})


def country_votes(passages: Sequence[Passage]) -> Counter[str]:
    """Mentions per ISO code over every GPE the passages carry."""
    return Counter(e.norm for p in passages for e in p.entities if e.label == "GPE" and e.norm)


def _reads_as_name(text: str, e: Entity) -> bool:
    m = _NAME_BEFORE.search(text[max(0, e.start - 40) : e.start])
    return bool(m) and m.group(0).strip().rstrip(".") not in _NOT_NAMES


def vote_countries(passages: Sequence[Passage]) -> tuple[Passage, ...]:
    """The passages with minority-country mentions that read as surnames relabelled PERSON (norm cleared)."""
    votes = country_votes(passages)
    if len(votes) < 2:
        return tuple(passages)
    lead, lead_n = votes.most_common(1)[0]
    out = []
    for p in passages:
        ents = list(p.entities)
        changed = False
        for i, e in enumerate(ents):
            if (e.label == "GPE" and e.norm and e.norm != lead and votes[e.norm] < lead_n
                    and _reads_as_name(p.text, e)):
                ents[i] = _as_person(ents, i, p.text)
                changed = True
        out.append(replace(p, entities=_merge_names(ents)) if changed else p)
    return tuple(out)


def _as_person(ents: list[Entity], i: int, text: str) -> Entity:
    e = ents[i]
    # Take in the first name before it, which the model could not tag once the ruler had claimed the surname.
    m = _NAME_BEFORE.search(text[max(0, e.start - 40) : e.start])
    start = e.start - len(m.group(0)) if m else e.start
    return Entity(text=text[start : e.end], label="PERSON", start=start, end=e.end)


def _merge_names(ents: list[Entity]) -> tuple[Entity, ...]:
    # Drop an entity the widened PERSON span now covers (the model's "Amadou" alone, say).
    people = [e for e in ents if e.label == "PERSON"]
    return tuple(e for e in ents
                 if not any(o is not e and o.start <= e.start and e.end <= o.end and o.end - o.start > e.end - e.start
                            for o in people))
