"""triage review UI: a shim so `streamlit run app.py` (and AppTest.from_file) still work; the app lives in
triage/ui/, its entry is triage/ui/main.py."""

from triage.ui.main import (
                            audit_page,
                            briefing_page,
                            document_page,
                            exports_page,
                            inbox_page,
                            login_page,
                            main,
                            models_page,
                            queues_page,
                            trends_page,
)

__all__ = ["audit_page", "briefing_page", "document_page", "exports_page", "inbox_page", "login_page",
           "models_page", "queues_page", "trends_page"]

main()
