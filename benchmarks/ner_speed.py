"""Where the NER's time goes, and how much of it entity_scope "flagged" saves.

Prints, on this machine:
1. single-thread sgemm GFLOPS of thinc's bundled BLIS and of numpy's OpenBLAS, on the NER's layer shape;
2. NER words/s with spaCy's default ops (BLIS) and with the ops triage.entities loads (OpenBLAS), under the
   spaCy and thinc versions it prints first;
3. the share of passages the active model flags (and so the NER tags) in the archive from make_archive.py
   and, if present, in the real UN report PDFs under ../shared/evaldata/pdfs (measured, never trained on).

Usage: OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/ner_speed.py [--archive /tmp/triage-archive] [--docs 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from triage.analyse.pipeline import Pipeline  # noqa: E402
from triage.analyse.segment import split_passages  # noqa: E402
from triage.config import load_config  # noqa: E402
from triage.read.extract import extract_document  # noqa: E402


def gflops() -> dict[str, float]:
    import numpy as np
    from thinc.api import NumpyOps

    a = np.random.rand(4000, 288).astype("f")
    b = np.random.rand(288, 288).astype("f")
    out = {}
    for name, ops in (("BLIS (thinc default)", NumpyOps(use_blis=True)), ("OpenBLAS (numpy)", NumpyOps(use_blis=False))):
        ops.gemm(a, b, trans2=True)
        t0 = time.perf_counter()
        for _ in range(50):
            ops.gemm(a, b, trans2=True)
        out[name] = 2 * 4000 * 288 * 288 * 50 / (time.perf_counter() - t0) / 1e9
    return out


def words_per_second(texts: list[str]) -> dict[str, float]:
    import spacy

    from triage.analyse.entities import load_nlp

    cfg = load_config()
    ours = load_nlp(cfg.spacy_model, cfg.spacy_fallbacks)
    default = spacy.load(ours.meta["lang"] + "_" + ours.meta["name"], exclude=["tagger", "parser", "lemmatizer",
                                                                             "attribute_ruler", "senter", "tok2vec"])
    words = sum(len(t.split()) for t in texts)
    out = {}
    for name, nlp in (("spaCy default ops (BLIS)", default), ("triage.analyse.entities ops (OpenBLAS)", ours)):
        with nlp.select_pipes(enable=["ner"]):
            list(nlp.pipe(texts[:50]))
            best = min(_cpu(lambda n=nlp: list(n.pipe(texts))) for _ in range(2))
        out[name] = words / best
    return out


def _cpu(call) -> float:  # type: ignore[no-untyped-def]
    t0 = time.process_time()
    call()
    return time.process_time() - t0


def flagged_share(pipe: Pipeline, pdfs: list[Path]) -> tuple[int, int]:
    flagged = total = 0
    for pdf in pdfs:
        result = pipe.analyse(extract_document(pdf))
        flagged += len(result.passages) - len(result.untagged)
        total += len(result.passages)
    return flagged, total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--archive", type=Path, default=Path("/tmp/triage-archive"))
    ap.add_argument("--docs", type=int, default=20, help="archive PDFs to read")
    args = ap.parse_args()
    if not (args.archive / "manifest.json").exists():
        sys.exit(f"no archive at {args.archive}: make one with benchmarks/make_archive.py --out {args.archive}")
    import spacy
    import thinc

    # The version matters: the wheels of spaCy 3.8.8 to 3.8.18 take and drop the GIL twice on every look at
    # the parser's buffer, which made the NER about half as fast as with 3.8.7 here (constraints.txt pins it).
    print(f"spaCy {spacy.__version__}, thinc {thinc.__version__}")
    for name, g in gflops().items():
        print(f"sgemm 4000x288 by 288x288, one call at a time: {name} {g:.0f} GFLOPS")
    cfg = load_config()
    pipe = Pipeline.load(cfg)
    manifest = json.loads((args.archive / "manifest.json").read_text())
    pdfs = [args.archive / name for name in sorted(manifest["files"])[: args.docs]]
    texts = [p.text for pdf in pdfs for p in split_passages(extract_document(pdf), min_chars=cfg.min_passage_chars,
                                                             max_chars=cfg.max_passage_chars)]
    for name, wps in words_per_second(texts).items():
        print(f"NER over {len(texts)} archive passages: {name} {wps:,.0f} words per CPU-second")
    flagged, total = flagged_share(pipe, pdfs)
    print(f"flagged, so tagged by the NER under entity_scope 'flagged': {flagged} of {total} archive passages "
          f"({flagged / total:.0%})")
    real = sorted((ROOT.parent / "shared" / "evaldata" / "pdfs").glob("*.pdf"))
    if real:
        flagged, total = flagged_share(pipe, real)
        print(f"... and {flagged} of {total} passages ({flagged / total:.0%}) in {len(real)} real UN report PDFs")


if __name__ == "__main__":
    main()
