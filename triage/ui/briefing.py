"""The Briefing page (analysts): a country brief for a period, as HTML or PDF."""

from __future__ import annotations

from datetime import date

import streamlit as st

from triage.errors import TriageError
from triage.review import trends
from triage.ui.session import guard


def briefing_page() -> None:
    from triage.review.brief import brief_pdf, build_brief

    _, fw, store, user = guard("analyst")
    st.title("Briefing")
    countries = sorted({c for r in trends.flag_records(store) for c in r["doc_countries"]})
    if not countries:
        st.info("No flagged document names a country yet.")
        return
    a, b, c = st.columns(3)
    country = a.selectbox("Country", countries)
    d_from = b.date_input("From", value=date(date.today().year, 1, 1))
    d_to = c.date_input("To", value=date.today())
    page = build_brief(store, fw, country=country, date_from=d_from, date_to=d_to)
    name = f"brief-{country}-{d_from}-{d_to}"
    h, p = st.columns(2)
    h.download_button("Download the briefing (HTML)", page.encode(), f"{name}.html", "text/html",
                      on_click="ignore", type="primary")
    if p.button("Make a PDF"):
        try:
            p.download_button("Download the PDF", brief_pdf(page), f"{name}.pdf", "application/pdf",
                              on_click="ignore")
            store.log(user.name, "brief", target=country, detail=f"{d_from} to {d_to}")
        except TriageError as exc:
            st.error(str(exc))
    st.components.v1.html(page, height=900, scrolling=True)
