"""How triage reads real incident records nobody trained or tuned on: Insecurity Insight's attacks on health
care (2016-2023) and aid-worker incidents (../shared/evaldata/labeled; mapping in its rf_mapping.json).

Each record's event description is scored as one passage by the registered model(s), and the script prints,
per file: how many records keep any label; recall of the label the record is evidence for (RF13 for attacks on
health care in conflict, RF14 for aid workers killed, injured, kidnapped or arrested); and, for health-care
records outside any conflict (COVID, Ebola, vaccination, criminal contexts), how many still get RF13, which
the mapping says they should not. Every mapping is by event type, not by an analyst, so expect label noise.
Measured only: nothing here chooses a threshold or a model.

Usage: python benchmarks/incident_records.py [--version v9 --version v10] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from triage.analyse.registry import active_version, load_model  # noqa: E402
from triage.config import load_config  # noqa: E402
from triage.framework import LABELS  # noqa: E402

LABELED = Path(os.environ.get("TRIAGE_EVALDATA", ROOT.parent / "shared" / "evaldata")) / "labeled"
HEALTH = "insecurity_insight_2016-2023-attacks-on-health-care-incident-data.xlsx"
AID = "insecurity_insight_aidWorkerKIKA.json"


def health_records(folder: Path) -> list[dict]:
    """(text, in_conflict) per attack on health care; the sheet's second row holds HXL tags, not an event."""
    from openpyxl import load_workbook  # the export module's dependency; only this benchmark reads xlsx here

    sheet = load_workbook(folder / HEALTH, read_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    next(rows)
    col = {name: k for k, name in enumerate(header)}
    out = []
    for row in rows:
        text = row[col["Event Description"]]
        if isinstance(text, str) and text.strip():
            out.append({"text": text.strip(), "conflict": row[col["Conflict-Related Violence"]] == "ConflictEvent"})
    return out


def aid_records(folder: Path) -> list[dict]:
    data = json.loads((folder / AID).read_text(encoding="utf-8"))
    return [{"text": r["Event Description"].strip()} for r in data if (r.get("Event Description") or "").strip()]


def decide(model, texts: list[str]) -> list[tuple[str, ...]]:  # type: ignore[no-untyped-def]
    return model.decide(model.score_matrix(texts))


def share(decided: list[tuple[str, ...]], label: str | None = None) -> float:
    if not decided:
        return 0.0
    hits = sum(bool(d) if label is None else label in d for d in decided)
    return round(hits / len(decided), 3)


def figures(model, health: list[dict], aid: list[dict]) -> dict:  # type: ignore[no-untyped-def]
    conflict = [r["text"] for r in health if r["conflict"]]
    other = [r["text"] for r in health if not r["conflict"]]
    d_conflict, d_other, d_aid = decide(model, conflict), decide(model, other), decide(model, [r["text"] for r in aid])
    counts = Counter(lab for d in d_conflict + d_other + d_aid for lab in d)
    return {
        "health, conflict": {"records": len(conflict), "any_label": share(d_conflict),
                             "RF13_recall": share(d_conflict, "RF13")},
        "health, no conflict": {"records": len(other), "any_label": share(d_other),
                                "RF13_given": share(d_other, "RF13")},
        "aid workers": {"records": len(d_aid), "any_label": share(d_aid), "RF14_recall": share(d_aid, "RF14"),
                        "RF13_given": share(d_aid, "RF13")},
        "label_counts": {lab: counts[lab] for lab in LABELS if counts[lab]},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--version", action="append", help="model version(s) to measure (default: the active one)")
    ap.add_argument("--folder", type=Path, default=LABELED, help=f"the labelled files (default {LABELED})")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args()
    if not (args.folder / HEALTH).exists() or not (args.folder / AID).exists():
        sys.exit(f"{HEALTH} and {AID} are needed in {args.folder}")
    config = load_config()
    versions = args.version or [active_version(config.models_dir)]
    health, aid = health_records(args.folder), aid_records(args.folder)
    print(f"{len(health)} health-care records ({sum(r['conflict'] for r in health)} in conflict), "
          f"{len(aid)} aid-worker records")
    out = {}
    for version in versions:
        started = time.perf_counter()
        f = out[version] = figures(load_model(config.models_dir, version), health, aid)
        hc, hn, aw = f["health, conflict"], f["health, no conflict"], f["aid workers"]
        print(f"{version}: health in conflict: any label {hc['any_label']:.3f}, RF13 recall {hc['RF13_recall']:.3f} | "
              f"health outside conflict: any label {hn['any_label']:.3f}, RF13 given {hn['RF13_given']:.3f} | "
              f"aid workers: any label {aw['any_label']:.3f}, RF14 recall {aw['RF14_recall']:.3f} "
              f"({time.perf_counter() - started:.0f} s)")
        print(f"  labels given: {f['label_counts']}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
