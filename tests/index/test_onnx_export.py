"""Tests of index/onnx_export.py and index/model_files.py: the export cache and pooling modes.

Each test points ``SEEDQA_CACHE_DIR`` at its own folder, so exports are real
(written, reused, rebuilt) and never touch the user's cache.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from seedqa.index.embed import Embedder, resolve_model
from seedqa.index.model_files import read_model_spec
from seedqa.index.onnx_export import cached_onnx_path, export_dir

MINILM = Path(resolve_model(None)[1])
TEXTS = [
    "Xiaomi plans to invest $7.18 billion in 5G, AI and IoT over five years.",
    "Alpine glaciers lost a tenth of their ice volume in two summers.",
    "short",
]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SEEDQA_CACHE_DIR", str(folder))
    return folder


def test_read_model_spec_of_the_default_model() -> None:
    spec = read_model_spec(MINILM)
    assert (spec.model_type, spec.pooling, spec.normalize) == ("bert", "mean", True)
    assert spec.max_seq_length == 256 and spec.onnx_problem is None
    assert spec.fingerprint() == read_model_spec(MINILM).fingerprint()


def test_export_is_made_once_then_reused(cache_dir: Path) -> None:
    spec = read_model_spec(MINILM)
    path = cached_onnx_path(spec)
    assert path.is_file() and path.parent == export_dir(spec)
    assert str(path).startswith(str(cache_dir))
    info = json.loads((path.parent / "export.json").read_text())
    assert info["fingerprint"] == spec.fingerprint()
    stamp = path.stat().st_mtime_ns
    assert cached_onnx_path(read_model_spec(MINILM)) == path
    assert path.stat().st_mtime_ns == stamp  # not written again
    assert not list(path.parent.glob("*.tmp"))


def test_a_corrupt_export_is_rebuilt(cache_dir: Path) -> None:
    spec = read_model_spec(MINILM)
    path = cached_onnx_path(spec)
    path.write_bytes(b"not an onnx graph")
    embedder = Embedder.load(runtime="onnx")
    assert embedder.embed_query(TEXTS[0]).shape == (384,)
    assert path.stat().st_size > 1_000_000


def test_an_unwritable_cache_still_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("the cache cannot live under a file")
    monkeypatch.setenv("SEEDQA_CACHE_DIR", str(blocker / "cache"))
    embedder = Embedder.load(runtime="onnx")
    assert embedder.embed_documents(TEXTS).shape == (3, 384)


def variant(tmp_path: Path, pooling: str, normalize: bool) -> Path:
    """The MiniLM files with another pooling mode, with or without the Normalize module."""
    model = tmp_path / f"minilm-{pooling}-{normalize}"
    shutil.copytree(MINILM, model)
    config_path = model / "1_Pooling" / "config.json"
    config = json.loads(config_path.read_text())
    for key in list(config):
        if key.startswith("pooling_mode_"):
            config[key] = False
    config[{"cls": "pooling_mode_cls_token", "max": "pooling_mode_max_tokens"}[pooling]] = True
    config_path.write_text(json.dumps(config))
    if not normalize:
        modules = json.loads((model / "modules.json").read_text())
        modules = [m for m in modules if not m["type"].endswith("Normalize")]
        (model / "modules.json").write_text(json.dumps(modules))
    return model


@pytest.mark.parametrize(("pooling", "normalize"), [("cls", False), ("max", True)])
def test_other_pooling_modes_match_sentence_transformers(
    tmp_path: Path, cache_dir: Path, pooling: str, normalize: bool
) -> None:
    from sentence_transformers import SentenceTransformer

    model = variant(tmp_path, pooling, normalize)
    spec = read_model_spec(model)
    assert (spec.pooling, spec.normalize, spec.onnx_problem) == (pooling, normalize, None)
    ours = Embedder.load(str(model)).embed_documents(TEXTS)
    reference = SentenceTransformer(str(model), device="cpu").encode(TEXTS)
    # seedqa compares unit vectors, so it normalises whether or not the model does.
    reference /= np.linalg.norm(reference, axis=1, keepdims=True)
    assert np.abs(ours - reference).max() < 1e-4
