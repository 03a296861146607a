"""The Streamlit review UI: one module per page, `main.py` the script entry (`triage ui` runs it)."""
