"""Tests of index/embed.py and its runtimes: ONNX Runtime against sentence-transformers on torch.

The ONNX path must give the vectors torch gives (cosine >= 0.999 on real text,
the same rankings), run with torch absent, and pick the runtime per model.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from no_torch import BLOCK_TORCH

from seedqa.index.embed import Embedder, choose_runtime, resolve_model
from seedqa.index.errors import InvalidSetting, ModelNotAvailable
from seedqa.index.model_files import read_model_spec
from seedqa.index.sentences import split_sentences

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "seeds" / "xiaomi-7bn-5g-ai-iot-plan.txt"
QUERIES = [
    "How much will Xiaomi invest in 5G, AI and IoT?",
    "how much money goes into research?",
    "Who founded Xiaomi?",
    "What happened to overseas revenue?",
    "When was the plan announced?",
]
def seed_texts() -> list[str]:
    """Real text: every sentence of the seed article, its paragraphs, and edge cases."""
    text = SEED.read_text(encoding="utf-8")
    sentences = [text[s.start : s.end] for s in split_sentences(text)]
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    edge = ["", "  padded with spaces  ", "ÉMOJI 🚀 naïve café", "word " * 400]
    return sentences + paragraphs + edge


@pytest.fixture(scope="module")
def torch_fp32() -> Embedder:
    return Embedder.load(runtime="torch", precision="fp32")


def test_default_runtime_is_onnx_fp32(embedder: Embedder) -> None:
    assert (embedder.runtime, embedder.precision) == ("onnx", "fp32")
    assert (embedder.name, embedder.dimension, embedder.max_tokens) == (
        "all-MiniLM-L6-v2",
        384,
        256,
    )
    assert embedder.cache_key == "all-MiniLM-L6-v2|fp32"


def test_onnx_vectors_match_torch_on_real_text(embedder: Embedder, torch_fp32: Embedder) -> None:
    texts = seed_texts()
    ours, theirs = embedder.embed_documents(texts), torch_fp32.embed_documents(texts)
    assert ours.shape == theirs.shape == (len(texts), 384) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosine = np.sum(ours * theirs, axis=1)
    assert cosine.min() >= 0.999, f"worst cosine {cosine.min()} for {texts[int(cosine.argmin())]!r}"
    # Single queries take the same path as batches: same vector alone or among others.
    alone = embedder.embed_query(texts[3])
    assert float(alone @ ours[3]) > 0.99999


def test_onnx_ranks_passages_as_torch_does(embedder: Embedder, torch_fp32: Embedder) -> None:
    passages = seed_texts()[:-4]
    rankings = []
    for model in (embedder, torch_fp32):
        scores = model.embed_queries(QUERIES) @ model.embed_documents(passages).T
        rankings.append(np.argsort(-scores, axis=1, kind="stable")[:, :5])
    assert np.array_equal(rankings[0], rankings[1])


def test_count_model_tokens_matches_torch(embedder: Embedder, torch_fp32: Embedder) -> None:
    texts = seed_texts()
    counts = embedder.count_model_tokens(texts)
    assert counts == torch_fp32.count_model_tokens(texts)
    assert max(counts) > embedder.max_tokens  # counting does not truncate


def test_token_embeddings_are_the_last_hidden_state(
    embedder: Embedder, torch_fp32: Embedder
) -> None:
    texts = ["Xiaomi will invest $7 billion.", "A longer sentence about 5G, AI and IoT plans."]
    ours, theirs = embedder.token_embeddings(texts), torch_fp32.token_embeddings(texts)
    n_tokens = ours.attention_mask.shape[1]
    assert ours.vectors.shape == (2, n_tokens, 384) and ours.vectors.dtype == np.float32
    assert ours.attention_mask.sum(axis=1).tolist() == embedder.count_model_tokens(texts)
    assert np.array_equal(ours.input_ids, theirs.input_ids)
    assert np.array_equal(ours.attention_mask, theirs.attention_mask)
    assert np.array_equal(ours.offsets, theirs.offsets)
    mask = ours.attention_mask[..., None].astype(bool)
    assert np.abs(np.where(mask, ours.vectors - theirs.vectors, 0)).max() < 1e-3
    # Offsets point into the text: "Xiaomi" is split into wordpieces "xiao" + "##mi".
    start, end = ours.offsets[0, 1]
    assert texts[0][start:end] == "Xiao" and texts[0][slice(*ours.offsets[0, 2])] == "mi"
    # Mean over real tokens, normalised, is the sentence vector (the model's pooling).
    pooled = (ours.vectors * mask).sum(axis=1) / mask.sum(axis=1)
    pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
    assert np.allclose(pooled, embedder.embed_documents(texts), atol=1e-5)


def test_choose_runtime_validates_and_falls_back() -> None:
    spec = read_model_spec(Path(resolve_model(None)[1]))
    assert choose_runtime(spec, None, None) == "onnx"
    assert choose_runtime(spec, None, "bf16") == "torch"  # bf16 exists on torch only
    assert choose_runtime(spec, "torch", None) == "torch"
    assert choose_runtime(None, None, None) == "torch"  # not a local BERT: torch
    with pytest.raises(InvalidSetting, match="runtime 'tensorflow' is not valid"):
        choose_runtime(spec, "tensorflow", None)
    with pytest.raises(InvalidSetting, match="precision 'int4' is not valid"):
        choose_runtime(spec, None, "int4")
    with pytest.raises(InvalidSetting, match="not available on runtime 'onnx'"):
        choose_runtime(spec, "onnx", "bf16")


def test_runtime_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = read_model_spec(Path(resolve_model(None)[1]))
    monkeypatch.setenv("SEEDQA_RUNTIME", "torch")
    assert choose_runtime(spec, None, None) == "torch"
    monkeypatch.setenv("SEEDQA_RUNTIME", "gpu")
    with pytest.raises(InvalidSetting, match="use one of"):
        choose_runtime(spec, None, None)


def another_architecture(tmp_path: Path) -> Path:
    """The MiniLM directory relabelled as an architecture the ONNX exporter does not build."""
    model = tmp_path / "other-model"
    shutil.copytree(resolve_model(None)[1], model)
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps({**config, "model_type": "distilbert"}))
    return model


def test_unsupported_architecture_falls_back_to_torch_or_says_what_to_install(
    tmp_path: Path,
) -> None:
    model = another_architecture(tmp_path)
    assert "model type 'distilbert'" in read_model_spec(model).onnx_problem
    with pytest.raises(ModelNotAvailable, match=r"cannot run on ONNX Runtime \(model type"):
        Embedder.load(str(model), runtime="onnx")
    code = BLOCK_TORCH + (
        "from seedqa.index.embed import Embedder\n"
        "from seedqa.index.errors import ModelNotAvailable\n"
        f"try:\n    Embedder.load({str(model)!r})\n"
        "except ModelNotAvailable as error:\n    print(error)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    message = done.stdout.strip()
    assert "\n" not in message and "needs sentence-transformers and torch" in message
    assert "pip install 'seedqa[train]'" in message


def test_default_model_runs_without_torch(tmp_path: Path) -> None:
    code = BLOCK_TORCH + (
        "import sys\n"
        "from seedqa.index.embed import Embedder\n"
        "e = Embedder.load()\n"
        "v = e.embed_documents(['Xiaomi plans to invest $7.18 billion.', 'Who founded Xiaomi?'])\n"
        "t = e.token_embeddings(['Xiaomi'])\n"
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules\n"
        "print(e.runtime, v.shape, t.vectors.shape)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "onnx"
