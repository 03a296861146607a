"""The use cases the CLI and the review UI share, written once: read a file (with its e-mail attachments),
analyse it and store it; promote or roll back a model; retrain with reviewers' decisions; tag stored passages.

Callers turn a `TriageError` into their own message (`Error:` line, `st.error`). Heavy libraries (spaCy,
scikit-learn, training) are imported inside the functions that need them, so importing this module is cheap.
The batch runner sits one layer below and keeps its own parallel loop (it stores each attachment as a task of
its own, with an origin for --retry-failed); both store a result and its PDF bytes with `Store.save_result`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.errors import ModelError, TriageError

if TYPE_CHECKING:
    from triage.analyse.pipeline import Pipeline
    from triage.config import Config
    from triage.store import Store
    from triage.types import Passage, ScanResult

STORED, DUPLICATE, FAILED = "stored", "duplicate", "failed"


class PromotionRefusedError(ModelError):
    """A model is worse than the active one on the frozen split and --force was not given."""


@dataclass(frozen=True, slots=True)
class Analysis:
    """One document read from a file: the file itself, or one of its e-mail attachments."""

    source: str  # the name it is read (and stored) under: "mail.eml", "mail.eml/report.pdf"
    data: bytes  # its bytes, so a PDF's pages can be shown beside its passages
    result: ScanResult | None = None
    error: str = ""  # why it could not be read (then `result` is None)
    attachment: bool = False

    @property
    def ok(self) -> bool:
        return self.result is not None


@dataclass(frozen=True, slots=True)
class Ingested:
    """What `ingest` did with one document: "stored", "duplicate" (not stored again) or "failed" (`reason`)."""

    source: str
    status: str
    result: ScanResult | None = None
    reason: str = ""
    attachment: bool = False


@dataclass(frozen=True, slots=True)
class Promotion:
    """A model made active; `worse` lists what got worse on the frozen split when it was forced."""

    version: str
    worse: tuple[str, ...] = ()

    @property
    def forced(self) -> bool:
        return bool(self.worse)


@dataclass(frozen=True, slots=True)
class Rollback:
    """The active model went back from `previous` to `version`."""

    previous: str
    version: str


def analyse_file(pipe: Pipeline, file: str | Path | bytes, *, source: str | None = None,
                 entity_scope: str | None = None) -> tuple[Analysis, ...]:
    """Read and analyse a file, then each of its e-mail attachments as a document of its own; nothing is stored.

    `file` is a path, or the file's bytes (then `source` names it). The first Analysis is the file itself;
    an attachment that cannot be read comes back with its `error` and the others go on.
    Raises TriageError (ExtractionError, InputRejectedError...) when the file itself cannot be read."""
    from triage.read.extract import extract_document, extract_with_attachments

    data: bytes | None
    if isinstance(file, bytes):
        if not source:
            raise TriageError("analyse_file needs a source name for a file given as bytes")
        data, name, path = file, source, Path(source)
    else:
        path = Path(file)
        name = source or path.name
        try:
            data = path.read_bytes()
        except OSError:
            data = None  # extraction tries again and says why it cannot
    ocr = pipe.config.ocr_settings
    doc, attachments = extract_with_attachments(path, data=data, source=name, ocr_settings=ocr)
    out = [Analysis(name, data or b"", pipe.analyse(doc, entity_scope=entity_scope))]
    for attachment in attachments:
        try:
            if attachment.data is None:
                raise TriageError(f"{attachment.source} {attachment.error}")
            sub = extract_document(attachment.source, data=attachment.data, source=attachment.source,
                                   ocr_settings=ocr)
            out.append(Analysis(attachment.source, attachment.data, pipe.analyse(sub, entity_scope=entity_scope),
                                attachment=True))
        except TriageError as exc:
            out.append(Analysis(attachment.source, attachment.data or b"", error=str(exc), attachment=True))
    return tuple(out)


def store_result(store: Store, result: ScanResult, data: bytes | None, *, actor: str = "") -> None:
    """Store one analysed document, keeping a PDF's bytes for the page view; `actor` logs it as an upload."""
    store.save_result(result, source=data)
    if actor:
        store.log(actor, "upload", target=result.document.id, detail=result.document.source,
                  model_version=result.model_version)


def ingest(store: Store, pipe: Pipeline, file: str | Path | bytes, *, source: str | None = None,
           actor: str = "", entity_scope: str | None = None, skip_stored: bool = False) -> tuple[Ingested, ...]:
    """Read, analyse and store a file and its e-mail attachments; one Ingested per document, the file first.

    A document met twice in one call (the same attachment sent twice), or with `skip_stored` one already
    stored under this model version, is a "duplicate" and not stored again. The review UI passes
    entity_scope="shown" (the NER runs as pages are drawn) and the signed-in user as `actor`.
    Raises TriageError when the file itself cannot be read."""
    stored = store.stored_versions() if skip_stored else {}
    seen: set[str] = set()
    out: list[Ingested] = []
    for a in analyse_file(pipe, file, source=source, entity_scope=entity_scope):
        if a.result is None:
            out.append(Ingested(a.source, FAILED, reason=a.error, attachment=a.attachment))
            continue
        doc_id = a.result.document.id
        if doc_id in seen or stored.get(doc_id) == a.result.model_version:
            out.append(Ingested(a.source, DUPLICATE, a.result, attachment=a.attachment))
            continue
        seen.add(doc_id)
        store_result(store, a.result, a.data, actor=actor)
        out.append(Ingested(a.source, STORED, a.result, attachment=a.attachment))
    return tuple(out)


def promote(models_dir: Path, version: str, *, force: bool = False, reason: str = "") -> Promotion:
    """Make a registered model the active one, unless it is worse than the active one on the frozen split.

    A refusal is recorded in the registry and raised as PromotionRefusedError saying what got worse;
    `force` promotes anyway, and then needs `reason`: the registry records what got worse and why the analyst
    accepted it, so a later reader of the history sees a trade, not an accident."""
    from triage.analyse.registry import (
        active_version,
        forced_hint,
        forced_note,
        read_card,
        read_registry,
        record_event,
        regressions,
        set_active,
        split_note,
    )

    worse: list[str] = []
    current, caveat = "", ""
    if read_registry(models_dir)["active"]:
        current = active_version(models_dir)
        new_card, old_card = read_card(models_dir, version), read_card(models_dir, current)
        worse, caveat = regressions(new_card, old_card), split_note(new_card, old_card)
    note = forced_note(worse, force, reason)
    if note is None:
        if not force:
            record_event(models_dir, "refused", version, "; ".join(worse))
        raise PromotionRefusedError(
            f"{version} is worse than the active model {current} on the frozen split{caveat}: " + "; ".join(worse)
            + f". {forced_hint(version, force)}")
    set_active(models_dir, version, note=note)
    return Promotion(version, tuple(worse))


def rollback(models_dir: Path) -> Rollback:
    """Make the previously active model active again; TriageError if there is none."""
    from triage.analyse.registry import read_registry, set_active

    reg = read_registry(models_dir)
    promoted = [h["version"] for h in reg["history"] if h["action"] in ("promote", "rollback")]
    previous = [v for v in reversed(promoted) if v != reg["active"]]
    if not previous:
        raise TriageError("there is no earlier active model to roll back to")
    set_active(models_dir, previous[0], action="rollback")
    return Rollback(reg["active"], previous[0])


def retrain(config: Config, store: Store | None = None, *, activate: bool = False, force: bool = False,
            reason: str = "", note: str = "", mask_unknown_names: str = "unseen",
            log: Callable[..., Any] = print) -> tuple[str, dict[str, Any]]:
    """Train a model on corpus/ plus the reviewers' decisions in `store` (none if None) and register it;
    returns (version, model card). Reviewed passages whose text is in the frozen test split are left out.

    `activate`/`force`/`reason` as in `triage train`; `log` receives progress lines (the first says how many
    reviewed passages were added). mask_unknown_names: "unseen", "never-lower" or "" (none)."""
    from training.train import train

    extra: list[dict[str, Any]] = []
    if store is not None:
        from training.reviews import review_examples
        from training.train import load_corpus, load_test_ids
        from triage.store.db import redact_url

        test_ids = load_test_ids(config.corpus_dir)
        test_texts = [r["text"] for r in load_corpus(config.corpus_dir) if r["id"] in test_ids]
        extra = review_examples(store, exclude_texts=test_texts)
        log(f"{len(extra)} reviewed passages from {redact_url(config.db)}")
    return train(config, extra=extra, activate=activate, force=force, reason=reason, log=log, note=note,
                 mask_unknown_names=mask_unknown_names)


def tag_stored(store: Store, todo: list[Passage], nlp: Any, labels: Iterable[str], *,
               progress: Callable[[int, int], None] | None = None) -> int:
    """Run the NER on stored passages that had only the gazetteer (`todo`, from `store.untagged_passages`,
    which callers read first to know whether spaCy is needed at all) and store what it finds; returns how
    many. Saved a few hundred at a time, so an interrupted export keeps what it tagged.

    `todo` may span many documents: each document's countries are voted over all its stored passages
    (countries.vote_countries, as a scan does), so a surname in one passage cannot file it under a country."""
    from triage.analyse.countries import vote_countries
    from triage.analyse.entities import find_entities

    labels = tuple(labels)
    by_doc: dict[str, list[Passage]] = {}
    for p in todo:
        by_doc.setdefault(p.doc_id, []).append(p)
    done = 0
    for doc_id, mine in by_doc.items():
        # The document's other passages vote too: those tagged before, and the gazetteer's finds in the rest.
        context = {p.id: p for p in store.passages(doc_id)}
        for i in range(0, len(mine), 500):
            tagged = list(find_entities(mine[i : i + 500], nlp, labels=labels))
            context.update((p.id, p) for p in tagged)
            voted = {p.id: p for p in vote_countries(list(context.values()))}
            store.save_entities(voted[p.id] for p in tagged)
            context.update((p.id, voted[p.id]) for p in tagged)
            done += len(tagged)
            if progress:
                progress(done, len(todo))
    return len(todo)
