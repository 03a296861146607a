"""Run in a child process by the hostile suite: check and extract one file, print the outcome as JSON.

Our errors become {"outcome": "error", "message": ...}; anything else escapes as a traceback and a
non-zero exit, which the suite counts as a failure (a crash is not a clear per-file error)."""

from __future__ import annotations

import json
import sys

from triage.config import MAX_FILE_MB
from triage.errors import TriageError
from triage.read.extract import extract_document
from triage.read.guard import check_input_file


def main(path: str) -> None:
    try:
        check_input_file(path, max_mb=MAX_FILE_MB)
        doc = extract_document(path)
    except TriageError as exc:
        print(json.dumps({"outcome": "error", "message": str(exc)}))
        return
    print(json.dumps({"outcome": "ok", "pages": len(doc.pages), "text": doc.text[:2000], "chars": len(doc.text),
                      "id": doc.id, "source": doc.source}))


if __name__ == "__main__":
    main(sys.argv[1])
