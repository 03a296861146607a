"""Flags over time, by country and by review status: the tables behind the Trends page and the briefing,
and the Altair charts that draw them."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from triage.review.queue import document_date
from triage.store import Store

if TYPE_CHECKING:
    import altair as alt
    import pandas as pd

STATUS = {"accept": "accepted", "reject": "rejected", "relabel": "relabelled", None: "unreviewed"}


def flag_records(
    store: Store, *, country: str | None = None, date_from: date | None = None, date_to: date | None = None
) -> list[dict[str, Any]]:
    """One record per flag with its report date, month, status and the countries its document names."""
    out = []
    for r in store.flag_rows():
        d = document_date(r["creation_date"], r["added_at"], r["head"])
        if (country and country not in r["doc_countries"]) or (date_from and d < date_from) or \
                (date_to and d > date_to):
            continue
        out.append({**r, "date": d, "month": d.strftime("%Y-%m"), "status": STATUS[r["decision"]]})
    return out


def flag_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    import pandas as pd

    cols = ["id", "doc_id", "label", "score", "page", "source", "date", "month", "status", "doc_countries"]
    return pd.DataFrame([{c: r[c] for c in cols} for r in records], columns=cols)


def by_country(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Flags per (country, label); a flag counts once for every country its document names."""
    import pandas as pd

    rows = [{"country": c, "label": r["label"]} for r in records for c in r["doc_countries"]]
    frame = pd.DataFrame(rows, columns=["country", "label"])
    return frame.groupby(["country", "label"]).size().reset_index(name="flags")


def factor_changes(records: list[dict[str, Any]], midpoint: date) -> list[dict[str, Any]]:
    """Per risk factor: flags before and from `midpoint`, accepted flags, and still-unreviewed flags."""
    out: dict[str, dict[str, Any]] = {}
    for r in records:
        row = out.setdefault(r["label"], {"label": r["label"], "before": 0, "after": 0, "accepted": 0,
                                         "unreviewed": 0})
        row["after" if r["date"] >= midpoint else "before"] += 1
        row["accepted"] += r["status"] == "accepted"
        row["unreviewed"] += r["status"] == "unreviewed"
    return sorted(out.values(), key=lambda x: (-(x["before"] + x["after"]), x["label"]))


# -- charts (Altair is imported here only) -----------------------------------------------------------------
def time_chart(frame: pd.DataFrame) -> alt.Chart:
    """Stacked bars: flags per month, coloured by risk factor; click a colour in the legend to isolate it."""
    import altair as alt

    pick = alt.selection_point(fields=["label"], bind="legend")
    return (
        alt.Chart(frame, title="Flags by risk factor per month")
        .mark_bar()
        .encode(x=alt.X("month:O", title="month"), y=alt.Y("count():Q", title="flags"),
                color=alt.Color("label:N", title="risk factor"),
                opacity=alt.condition(pick, alt.value(1.0), alt.value(0.2)),
                tooltip=["month", "label", "count()"])
        .add_params(pick)
    )


def country_chart(frame: pd.DataFrame) -> alt.Chart:
    import altair as alt

    return (
        alt.Chart(frame, title="Flags by country (ISO code) and risk factor")
        .mark_bar()
        .encode(y=alt.Y("country:N", sort="-x"), x=alt.X("sum(flags):Q", title="flags"),
                color=alt.Color("label:N", title="risk factor"), tooltip=["country", "label", "flags"])
    )


def status_chart(frame: pd.DataFrame) -> alt.Chart:
    import altair as alt

    return (
        alt.Chart(frame, title="Reviewed and unreviewed flags per risk factor")
        .mark_bar()
        .encode(x=alt.X("label:N", title="risk factor", sort=None), y=alt.Y("count():Q", title="flags"),
                color=alt.Color("status:N", scale=alt.Scale(
                    domain=["accepted", "relabelled", "rejected", "unreviewed"],
                    range=["#c0392b", "#e67e22", "#95a5a6", "#d5d8dc"])),
                tooltip=["label", "status", "count()"])
    )


def tradeoff_chart(card: dict[str, Any]) -> alt.Chart | None:
    """Flagged share against macro recall on real held-out paragraphs, one point per recall target or per cut
    of a filtering first stage (None if the card has no real validation)."""
    import altair as alt
    import pandas as pd

    pts = (card.get("real_validation") or {}).get("tradeoff") or []
    if not pts:
        return None
    rows = [{"recall target": t["recall_target"], "first-stage share": t.get("gate_share"),
             "macro recall": t["macro_recall"], "share flagged": t[k], "of": name}
            for t in pts for k, name in (("flagged_share", "all paragraphs"), ("false_alarm_rate", "negative paragraphs"))]
    frame = pd.DataFrame(rows)
    return (
        alt.Chart(frame, title="What recall costs: share of real paragraphs flagged (held-out documents)")
        .mark_line(point=True)
        .encode(x=alt.X("share flagged:Q", scale=alt.Scale(domain=[0, 1])),
                y=alt.Y("macro recall:Q", scale=alt.Scale(domain=[0, 1])), color="of:N",
                tooltip=["recall target", "first-stage share", "macro recall", "share flagged", "of"])
        .properties(height=260)
    )


def metrics_chart(card: dict[str, Any], other: dict[str, Any] | None = None) -> alt.Chart:
    """Per-label precision, recall and F1 of a model card (frozen test set if present, else cross-validation),
    side by side with a second card's when comparing."""
    import altair as alt
    import pandas as pd

    rows = []
    for c in [card, *([other] if other else [])]:
        scores = (c.get("frozen_test") or c.get("cross_validation") or {}).get("at_thresholds", {})
        for label, m in scores.items():
            if isinstance(m, dict):
                rows += [{"version": c.get("version", "?"), "label": label, "metric": k, "value": m[k]}
                         for k in ("precision", "recall", "f1") if k in m]
    frame = pd.DataFrame(rows, columns=["version", "label", "metric", "value"])
    return (
        alt.Chart(frame, title="Per-label quality on held-out data")
        .mark_bar()
        .encode(x=alt.X("label:N", sort=None), xOffset="version:N", y=alt.Y("value:Q", scale=alt.Scale(domain=[0, 1])),
                color="version:N", row=alt.Row("metric:N", title=None), tooltip=["version", "label", "metric", "value"])
        .properties(height=140)
    )
