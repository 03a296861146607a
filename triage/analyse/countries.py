"""Entities -> the document's countries, by voting: a lone country name that reads as a surname loses.

The gazetteer tags every country name, so a victim called "Amadou Togo" filed a Mali report under Togo.
A report names its own country, towns and regions many times (each town votes for its country through
the gazetteer), so a country that is not the document's leading one, whose mention follows a first name
or a title, is a person's name.

Before the vote, the words around a name the model called a PERSON or an ORG settle what it is: "in Lubero",
"Shabelle Dhexe region", "Rawj camps" are places, "the Hawadle clan" a group, "the Kraze Barye gang" an
organisation; and the document's other mentions of that name follow (the small model calls a town it does not
know a person in one sentence and an organisation in the next).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache

from triage.analyse.gazetteer import ruler_patterns
from triage.types import Entity, Passage

# A capitalised word or a title right before the country name, in the same sentence: "Amadou Togo", "Mr. Chad".
_NAME_BEFORE = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Mme|M)\.?|\b[A-ZÀ-Ö][a-zà-öø-ÿ'’-]+)\s+$")
# Words that start a place phrase, not a name: "in Togo", "the Togo border" never match the pattern above,
# but a sentence can begin with "In Togo"; these capitalised words are not first names.
_NOT_NAMES = frozenset({"In", "From", "To", "Of", "And", "The", "At", "On", "By", "For", "With", "Between",
                        "Both", "Including", "Like", "Unlike", "While", "Northern", "Southern", "Eastern", "Western", "Central", "Neighbouring", "Neighboring"})


# Lower-case words after a name that make it a place, a group or an organisation.
_PLACE_AFTER = re.compile(r"\s+(?:regions?|districts?|territory|territories|province|governorate|county|cercle|"
                          r"commune|department|town|villages?|city|locality|neighbourhood|camps?|airport|area|"
                          r"border|axis)\b")
_GROUP_AFTER = re.compile(r"\s+(?:sub-)?clans?\b")
_ORG_AFTER = re.compile(r"\s+(?:gangs?|party|coalition)\b")
# Prepositions that put a place after them; "to", "from", "with" and "between" also introduce people.
_PLACE_BEFORE = re.compile(r"\b(?:in|near|around|towards?|outside|inside|across|throughout)\s+$")
_LIST_GAP = re.compile(r",\s*(?:and\s+)?|\s+and\s+")
_TITLES = frozenset({"Mr", "Mrs", "Ms", "Dr", "President", "Minister", "General", "Colonel", "Major", "Sheikh",
                     "Commander", "Governor", "Judge", "Prime", "Vice-President", "Speaker", "Chief"})


@lru_cache(maxsize=1)
def _known_orgs() -> frozenset[str]:
    return frozenset(p["pattern"] for p in ruler_patterns() if p["label"] == "ORG")


def _context_label(text: str, e: Entity) -> str:
    """The label the surrounding words give a model's PERSON or ORG, or "" when they say nothing."""
    if e.label not in ("PERSON", "ORG") or e.text in _known_orgs():
        return ""
    after = text[e.end : e.end + 30]
    if _GROUP_AFTER.match(after):
        return "NORP"
    if _PLACE_AFTER.match(after):
        return "GPE"
    if e.label == "PERSON" and e.text.split()[0].rstrip(".") not in _TITLES:
        if _ORG_AFTER.match(after):
            return "ORG"
        if _PLACE_BEFORE.search(text[max(0, e.start - 20) : e.start]):
            return "GPE"
    return ""


def _lists(p: Passage) -> list[list[Entity]]:
    """Runs of entities joined only by commas and "and"."""
    runs: list[list[Entity]] = []
    for e in p.entities:
        if runs and _LIST_GAP.fullmatch(p.text[runs[-1][-1].end : e.start]):
            runs[-1].append(e)
        else:
            runs.append([e])
    return runs


def relabel_by_context(passages: Sequence[Passage]) -> tuple[Passage, ...]:
    """The passages with a model's PERSON/ORG relabelled where the words around it, in this passage or around
    another mention of the same name in the document, say it is a place, a group or an organisation."""
    found: dict[str, str] = {}
    for p in passages:
        for e in p.entities:
            if label := _context_label(p.text, e):
                found.setdefault(e.text, label)
        for run in _lists(p):
            # "in Akko, Avivim, Haifa and Tsfat": a name in a list of places is a place.
            if 2 * sum(e.label == "GPE" or found.get(e.text) == "GPE" for e in run) >= len(run) >= 3:
                found.update((e.text, "GPE") for e in run if e.label in ("PERSON", "ORG") and e.text not in found)
    if not found:
        return tuple(passages)
    out = []
    for p in passages:
        ents = tuple(Entity(e.text, found[e.text], e.start, e.end)
                     if e.label in ("PERSON", "ORG") and e.text in found and e.text not in _known_orgs() else e
                     for e in p.entities)
        out.append(replace(p, entities=ents) if ents != p.entities else p)
    return tuple(out)


def country_votes(passages: Sequence[Passage]) -> Counter[str]:
    """Mentions per ISO code over every GPE the passages carry."""
    return Counter(e.norm for p in passages for e in p.entities if e.label == "GPE" and e.norm)


def _reads_as_name(text: str, e: Entity) -> bool:
    m = _NAME_BEFORE.search(text[max(0, e.start - 40) : e.start])
    return bool(m) and m.group(0).strip().rstrip(".") not in _NOT_NAMES


def vote_countries(passages: Sequence[Passage]) -> tuple[Passage, ...]:
    """The passages with minority-country mentions that read as surnames relabelled PERSON (norm cleared),
    after `relabel_by_context`."""
    passages = relabel_by_context(passages)
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
