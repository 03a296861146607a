"""How much of a real report triage hands back to a reviewer: for each PDF in ../shared/evaldata/pdfs (six UN
reports nobody trained or tuned on), run `triage scan --json` as a user would and print the share of passages
flagged and the labels per flagged passage, per report and over all passages.

Targets (issue 13): <= 35% of passages flagged, <= 2.0 labels per flagged passage.

Usage: python benchmarks/eval_reports.py [--folder DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = Path(os.environ.get("TRIAGE_EVALDATA", ROOT.parent / "shared" / "evaldata")) / "pdfs"


def scan(pdf: Path) -> dict:
    out = subprocess.run([sys.executable, "-m", "triage", "scan", str(pdf), "--json"], capture_output=True,
                         text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout)


def figures(result: dict) -> dict:
    passages = result["passages"]
    flagged = [p for p in passages if p["labels"]]
    counts: dict[str, int] = {}
    for p in flagged:
        for lab in p["labels"]:
            counts[lab] = counts.get(lab, 0) + 1
    return {"passages": len(passages), "flagged": len(flagged),
            "flagged_share": round(len(flagged) / len(passages), 3) if passages else 0.0,
            "labels_per_flagged": round(sum(len(p["labels"]) for p in flagged) / len(flagged), 2) if flagged else 0.0,
            "label_counts": dict(sorted(counts.items(), key=lambda kv: int(kv[0][2:])))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folder", type=Path, default=DEFAULT, help=f"PDFs to scan (default {DEFAULT})")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args()
    pdfs = sorted(args.folder.glob("*.pdf"))
    if not pdfs:
        sys.exit(f"no PDFs in {args.folder}")
    rows, total_p, total_f, total_l = {}, 0, 0, 0
    print(f"{'report':28s} {'passages':>8s} {'flagged':>8s} {'share':>6s} {'labels/flag':>11s}  labels")
    for pdf in pdfs:
        started = time.perf_counter()
        f = rows[pdf.name] = figures(scan(pdf))
        f["seconds"] = round(time.perf_counter() - started, 1)
        total_p += f["passages"]
        total_f += f["flagged"]
        total_l += round(f["labels_per_flagged"] * f["flagged"])
        print(f"{pdf.name:28s} {f['passages']:8d} {f['flagged']:8d} {f['flagged_share']:6.1%} "
              f"{f['labels_per_flagged']:11.2f}  {f['label_counts']}")
    overall = {"passages": total_p, "flagged": total_f, "flagged_share": round(total_f / total_p, 3),
               "labels_per_flagged": round(total_l / total_f, 2) if total_f else 0.0}
    print(f"{'all':28s} {total_p:8d} {total_f:8d} {overall['flagged_share']:6.1%} {overall['labels_per_flagged']:11.2f}")
    if args.json:
        args.json.write_text(json.dumps({"reports": rows, "overall": overall}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
