"""A writer that the crash tests kill with SIGKILL at random moments.

It stores documents (each a transaction of many rows) and reviewers' decisions into the store named
on the command line, and prints one line *after* each commit returns, so the test knows what must
survive. Each document records its own passage count, so a half-written document can be detected.
"""

from __future__ import annotations

import random
import sys

from triage.framework import LABELS
from triage.store import open_store

# ScanResult lives in triage.types, so the writer stores the real thing without importing spaCy.
from triage.types import Document, Flag, Page, Passage, Prediction, ScanResult


def make_result(seed: int) -> ScanResult:
    rng = random.Random(seed)
    n = rng.randint(20, 120)
    paras = [f"Passage {i} of report {seed}: armed men burned granaries near the river crossing. " * 4
             for i in range(n)]
    text = "\n\n".join(paras)
    doc_id = f"{seed:064x}"
    passages, start = [], 0
    for para in paras:
        passages.append(Passage(doc_id, start, start + len(para), 1, para))
        start += len(para) + 2
    doc = Document(doc_id, f"report-{seed}.pdf", text, (Page(1, 0, len(text)),), title=f"Report {seed}",
                   metadata=(("expected_passages", str(n)),))
    scores = tuple((lab, 0.9 if lab == "RF14" else 0.01) for lab in LABELS)
    preds = tuple(Prediction(p.id, scores, ("RF14",), model_version="v1") for p in passages)
    flags = tuple(Flag(p.id, "RF14", 0.9, 0.4, model_version="v1") for p in passages)
    return ScanResult(doc, tuple(passages), preds, flags, 0.9, "v1")


def main(db: str, first_seed: int) -> None:
    rng = random.Random(first_seed)
    with open_store(db) as store:
        seed = first_seed
        while True:
            store.save_result(make_result(seed))
            print(f"doc {seed:064x}", flush=True)
            seed += 1
            flag_ids = [r[0] for r in store.conn.execute("SELECT id FROM flags ORDER BY random() LIMIT 5")]
            for flag_id in flag_ids:
                review = store.add_review(flag_id, rng.choice(["accept", "reject"]), "crash-test", note="n" * 200)
                print(f"review {review.id}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
