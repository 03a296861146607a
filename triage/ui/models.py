"""The Models page (analysts): compare versions, promote, roll back, retrain with the reviews."""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from triage.config import Config
from triage.errors import TriageError
from triage.framework import LABELS
from triage.review import auth, trends
from triage.service import promote, retrain, rollback
from triage.store import Store, open_store
from triage.ui.session import guard, load_pipeline, signed_in


def held_out(card: dict[str, Any]) -> dict[str, float | None]:
    """A card's figures on the frozen test split (None where the card has none): over each label's threshold,
    and at the labels a reviewer is shown (the promotion check compares these when both cards have them)."""
    t = card.get("frozen_test", {})
    at, shown = t.get("at_thresholds", {}), t.get("at_decision", {})
    return {"macro-F1": at.get("macro_f1"), "macro precision": at.get("macro_precision"),
            "macro recall": at.get("macro_recall"), "macro-F1, labels shown": shown.get("macro_f1"),
            "macro recall, labels shown": shown.get("macro_recall"), "calibration error (ECE)": t.get("ece")}


def _retrain(config: Config, db: str, log: Any) -> tuple[str, dict[str, Any]]:
    """service.retrain with a store connection of the worker thread's own (a connection stays in its thread)."""
    with open_store(db) as store:
        return retrain(config, store, log=log)


def run_training(config: Config, store: Store) -> tuple[str, dict[str, Any]]:
    """Train with the reviews so far, showing a progress bar. Training runs in a worker thread (it cannot
    report its own progress), so the bar advances against the active model's training time."""
    from concurrent.futures import ThreadPoolExecutor

    from triage.analyse.registry import read_card

    try:
        expected = float(read_card(config.models_dir).get("train_seconds") or 60) * 1.5 + 5
    except TriageError:
        expected = 120.0
    lines: list[str] = []
    bar = st.progress(0.0, text="Training with the reviewed passages...")
    started = time.monotonic()
    with ThreadPoolExecutor(1) as pool:
        job = pool.submit(_retrain, config, store.path, lambda *a: lines.append(" ".join(map(str, a))))
        while not job.done():
            elapsed = time.monotonic() - started
            bar.progress(min(elapsed / expected, 0.95), text=f"{lines[-1] if lines else 'Training'} "
                                                            f"({elapsed:.0f} s)")
            time.sleep(0.5)
        version, card = job.result()  # re-raises a training error here, in the script thread
    bar.progress(1.0, text=lines[-1] if lines else f"Registered {version}")
    return version, card


def models_page() -> None:
    from triage.analyse.registry import read_card, read_registry, regressions

    config, _, store, user = guard("analyst")
    st.title("Models")
    reg = read_registry(config.models_dir)
    if not reg["versions"]:
        st.info("No trained model yet: run `triage train`.")
        return
    versions = list(reg["versions"])
    active = read_card(config.models_dir, reg["active"])
    st.markdown(f"Active model: **{reg['active']}**")
    st.caption(f"{active.get('approach', '')} · created {active.get('created', '?')} · "
               f"{active['data']['train_passages']} training passages "
               f"({active['data'].get('from_reviews', 0)} from reviews)")
    if trained := st.session_state.pop("just-trained", None):  # show the new version beside the active one
        st.session_state["compare-with"] = trained
    other = st.selectbox("Compare with", ["none", *[v for v in reversed(versions) if v != reg["active"]]],
                         key="compare-with")
    other_card = read_card(config.models_dir, other) if other != "none" else None
    st.altair_chart(trends.metrics_chart(active, other_card), use_container_width=True)
    if rv := active.get("real_validation"):
        st.markdown(f"**Real UN paragraphs, held out by document** ({rv['paragraphs']} paragraphs from "
                    f"{rv['documents']} documents): macro-F1 {rv['macro_f1']:.2f}, recall {rv['macro_recall']:.2f}, "
                    f"negatives flagged {rv['false_alarm_rate']:.2f}, labels per flagged paragraph "
                    f"{rv['labels_per_flagged']}")
        st.dataframe([{"label": lab, **{k: rv[lab][k] for k in ("precision", "recall", "f1", "support")}}
                      for lab in LABELS], hide_index=True, use_container_width=False)
        if (chart := trends.tradeoff_chart(active)) is not None:
            st.altair_chart(chart, use_container_width=True)
    else:
        st.caption("This model was trained without real UN paragraphs (no ../shared/un-reports): no real validation.")
    if other_card is not None:
        st.markdown("**Held-out test split** (never trained on)")
        st.dataframe([{"figure": k, f"{reg['active']} (active)": v, other: held_out(other_card)[k]}
                      for k, v in held_out(active).items()], hide_index=True, use_container_width=False)
        worse = regressions(other_card, active)
        if worse:
            st.warning(f"{other} is worse than the active model on: " + "; ".join(worse))
        force = st.checkbox("Promote even though it is worse", key="force-promote") if worse else False
        reason = st.text_input("Why (recorded in the registry)", key="force-reason") if force else ""
        if st.button(f"Promote {other}", type="primary", disabled=bool(worse) and not (force and reason.strip())):
            auth.require(signed_in(store), "analyst")
            try:
                promote(config.models_dir, other, force=bool(worse), reason=reason)
            except TriageError as exc:
                st.error(str(exc))
                st.stop()
            store.log(user.name, "model-promote", target=other, detail=f"forced: {reason}" if worse else "")
            load_pipeline.clear()
            st.rerun()
    if st.button("Roll back to the previous model"):
        auth.require(signed_in(store), "analyst")
        try:
            back = rollback(config.models_dir)
        except TriageError as exc:
            st.warning(f"{str(exc)[0].upper()}{str(exc)[1:]}.")
        else:
            store.log(user.name, "model-rollback", target=back.version)
            load_pipeline.clear()
            st.rerun()
    st.subheader("Retrain")
    st.caption("Trains on corpus/ plus every reviewed passage so far, chooses thresholds by cross-validation and "
               "registers a new version. It is not made active: compare it above, then promote it.")
    if st.button("Retrain now", key="retrain"):
        auth.require(signed_in(store), "analyst")
        try:
            version, _ = run_training(config, store)
        except TriageError as exc:
            st.error(str(exc))
            st.stop()
        store.log(user.name, "model-train", target=version)
        st.session_state["just-trained"] = version
        st.rerun()
