"""Tests of qa/cross_encoder.py and qa/cross_encoder_graph.py: the answer cross-encoder, on ORT.

These run without torch. The shipped folder is ``models/reader``; every test
builds its graph into its own ``SEEDQA_CACHE_DIR`` (real builds, real reuse).
Parity with the torch training model: ``tests/training/test_xenc_parity.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from no_torch import BLOCK_TORCH

from seedqa.qa.cross_encoder import CrossEncoder, CrossEncoderError
from seedqa.qa.cross_encoder_files import READER_DIR
from seedqa.qa.cross_encoder_graph import graph_dir

#: (sentence, a plain paraphrase it answers, a near-miss it does not answer).
PARAPHRASE_AND_NEAR_MISS = [
    (
        "Employees may work from home up to three days a week.",
        "how many days can staff work remotely?",
        "how many days of holiday do staff get?",
    ),
    (
        "Xiaomi will invest $7.18 billion in research and development over five years.",
        "how much money goes into research?",
        "how much money went into research in 2012?",
    ),
]
CANDIDATES = [
    ("The tank holds 1.7 litres.", "Fill it with cold water only."),
    ("Use only citric-acid descaler; vinegar damages the seals.", ""),
    ("The museum is open from 10:00 to 18:00 every day except Monday, " * 4, "It is free."),
]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("xenc-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEEDQA_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="module")
def reader(cache_dir: Path) -> CrossEncoder:
    return CrossEncoder.load()


def test_shipped_reader_runs_without_torch_and_prefers_the_paraphrase(tmp_path: Path) -> None:
    code = BLOCK_TORCH + (
        "import json, sys\n"
        "from seedqa.qa.cross_encoder import CrossEncoder\n"
        "encoder = CrossEncoder.load()\n"
        f"cases = {PARAPHRASE_AND_NEAR_MISS!r}\n"
        "found = [[float(encoder.score(q, [(s, '')])[0]) for q in (p, n)] for s, p, n in cases]\n"
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules\n"
        "print(json.dumps(found))\n"
    )
    env = {**os.environ, "SEEDQA_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr
    for paraphrase, near_miss in json.loads(done.stdout):
        assert 0.0 <= near_miss < paraphrase <= 1.0


def test_the_folder_says_how_it_was_made(reader: CrossEncoder) -> None:
    config = reader.config
    assert 0 <= config.frozen_layers < config.num_layers == 6
    assert config.weights_encoding in ("fp16", "int8-delta")
    assert (config.max_tokens, config.max_question, config.max_sentence) == (96, 32, 56)
    size = sum(p.stat().st_size for p in READER_DIR.iterdir())
    assert size <= 8_500_000
    assert config.weights_sha256 in (READER_DIR / "config.json").read_text()


def test_score_is_one_probability_per_candidate_in_order(reader: CrossEncoder) -> None:
    question = "how much water fits in the reservoir?"
    together = reader.score(question, CANDIDATES)
    assert together.shape == (3,) and together.dtype == np.float32
    assert np.all((together >= 0) & (together <= 1))
    alone = np.array([reader.score(question, [c])[0] for c in CANDIDATES])
    np.testing.assert_allclose(together, alone, atol=1e-5)  # padding changes nothing
    reverse = reader.score(question, CANDIDATES[::-1])
    np.testing.assert_allclose(reverse[::-1], together, atol=1e-5)
    assert reader.score(question, []).shape == (0,)


def test_pairs_respect_the_token_limits(reader: CrossEncoder) -> None:
    long_question = "what " * 50 + "?"
    long_sentence = "The tank holds exactly 1.7 litres of water. " * 10
    pairs = reader.tokenizer.encode(long_question, [(long_sentence, long_sentence), ("x", "")])
    (ids, types), (short_ids, short_types) = pairs
    config = reader.config
    assert len(ids) == config.max_tokens and types.count(0) == config.max_question + 2
    assert ids.count(reader.tokenizer.sep_id) == 3
    assert short_ids.count(reader.tokenizer.sep_id) == 2  # no previous sentence, no third [SEP]
    assert short_types == [0] * (config.max_question + 2) + [1] * 2


def test_graph_is_built_once_then_reused(reader: CrossEncoder, cache_dir: Path) -> None:
    from seedqa.qa.cross_encoder_graph import base_spec

    target = graph_dir(reader.config, base_spec(reader.config))
    assert target.parent.parent == cache_dir
    info = json.loads((target / "export.json").read_text())
    assert info["reader_fingerprint"] == reader.config.fingerprint()
    stamp = (target / "model.onnx").stat().st_mtime_ns
    CrossEncoder.load()
    assert (target / "model.onnx").stat().st_mtime_ns == stamp


def test_a_corrupt_cached_graph_is_rebuilt(reader: CrossEncoder) -> None:
    from seedqa.qa.cross_encoder_graph import base_spec

    path = graph_dir(reader.config, base_spec(reader.config)) / "model.onnx"
    path.write_bytes(b"not a graph")
    again = CrossEncoder.load()
    question, candidates = "can i clean it with vinegar", CANDIDATES
    expected = reader.score(question, candidates)
    np.testing.assert_allclose(again.score(question, candidates), expected)


def test_a_missing_reader_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(CrossEncoderError) as error:
        CrossEncoder.load(tmp_path / "nothing")
    message = str(error.value)
    assert "\n" not in message and "xenc_export" in message


def test_changed_weights_are_refused(tmp_path: Path, cache_dir: Path) -> None:
    folder = tmp_path / "reader"
    shutil.copytree(READER_DIR, folder)
    data = bytearray((folder / "weights.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (folder / "weights.safetensors").write_bytes(bytes(data))
    with pytest.raises(CrossEncoderError, match="does not match its config.json"):
        CrossEncoder.load(folder)


def test_another_format_version_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "reader"
    shutil.copytree(READER_DIR, folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "format_version": 99}))
    with pytest.raises(CrossEncoderError, match="format 99"):
        CrossEncoder.load(folder)
