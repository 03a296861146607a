"""The Trends page: flags over time, by status and by country, with a drill-down."""

from __future__ import annotations

import streamlit as st

from triage.review import trends
from triage.ui.session import guard


def trends_page() -> None:
    _, fw, store, _ = guard("reviewer")
    st.title("Trends")
    every = trends.flag_records(store)
    countries = sorted({c for r in every for c in r["doc_countries"]})
    a, b = st.columns(2)
    country = a.selectbox("Country", ["all", *countries])
    dates = b.date_input("Period", value=(), key="t-dates")
    d_from, d_to = (tuple(dates) + (None, None))[:2] if isinstance(dates, (tuple, list)) else (dates, dates)
    records = trends.flag_records(store, country=None if country == "all" else country, date_from=d_from,
                                  date_to=d_to)
    if not records:
        st.info("No flags in this selection.")
        return
    frame = trends.flag_frame(records)
    st.altair_chart(trends.time_chart(frame), use_container_width=True)
    left, right = st.columns(2)
    left.altair_chart(trends.status_chart(frame), use_container_width=True)
    right.altair_chart(trends.country_chart(trends.by_country(records)), use_container_width=True)
    st.subheader("Drill down")
    c1, c2 = st.columns(2)
    label = c1.selectbox("Risk factor", sorted(frame["label"].unique()),
                         format_func=lambda lab: f"{lab} {fw.factor(lab).short_name}")
    month = c2.selectbox("Month", ["all", *sorted(frame["month"].unique())])
    sel = frame[(frame["label"] == label) & ((frame["month"] == month) if month != "all" else True)]
    st.dataframe(sel[["source", "page", "date", "score", "status"]], hide_index=True, use_container_width=True)
