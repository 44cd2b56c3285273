"""The ONNX cross-encoder computes what the torch training model computes, on real pairs.

A ``TopModel`` with three frozen layers (not the shipped four: the runtime must
take the count from the exported config) and weights moved away from the base
model's (as far as the experiment's m4.pt moved) is exported with
``training.xenc_export`` in both weight encodings and loaded by
``qa.cross_encoder``; both score the users'-style development pairs. The
tokens must be identical to the training code's ``encode`` (Hugging Face's
AutoTokenizer), the probabilities within 1e-3. Skipped without torch.
"""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from seedqa.qa.cross_encoder import CrossEncoder, PairTokenizer  # noqa: E402
from seedqa.qa.cross_encoder_files import READER_DIR, read_reader_config  # noqa: E402
from seedqa.qa.cross_encoder_graph import base_spec  # noqa: E402
from seedqa.training.xenc_export import export_reader  # noqa: E402
from seedqa.training.xenc_parity import (  # noqa: E402
    ParityPair,
    compare,
    dev_pairs,
    top_model,
    torch_encode,
)

EDGE_PAIRS = [
    ParityPair("what " * 40 + "is it?", "The tank holds 1.7 litres. " * 12, "Fill it. " * 30),
    ParityPair("how big is the tank", "The tank holds 1.7 litres.", ""),
    ParityPair("", "", ""),
    ParityPair("Où est le café naïve 🚀?", "ÉMOJI 🚀 naïve café, 12,5 % «quoted»", "Prior\tline\n"),
    ParityPair("short", "x " * 60, "the previous sentence fills the room left " * 9),
]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("xenc")
    torch.manual_seed(0)
    model = top_model(3)
    with torch.no_grad():
        for parameter in model.layers.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.005)  # as far as m4.pt moved
        model.head.weight.mul_(2.0)  # probabilities spread out, not all near 0.5
    torch.save(model.state_dict(), folder / "top.pt")
    return folder / "top.pt", model.state_dict()


@pytest.fixture(scope="module", params=["fp16", "auto"])
def exported(request, checkpoint, tmp_path_factory) -> tuple[CrossEncoder, dict]:
    path, state = checkpoint
    folder = tmp_path_factory.mktemp(f"reader-{request.param}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEEDQA_CACHE_DIR", str(folder / "cache"))
        encoder = CrossEncoder.load(export_reader(path, folder / "reader", encoding=request.param))
    return encoder, state


def test_export_reads_the_frozen_layer_count_and_fits_the_budget(exported) -> None:
    encoder, _ = exported
    config = encoder.config
    assert (config.frozen_layers, config.num_layers) == (3, 6)
    size = config.weights.stat().st_size
    if config.weights_encoding == "fp16":  # three fp16 layers and the head: over the budget
        assert 10_000_000 < size < 11_000_000
    else:  # "auto" chose int8 deltas: half the size
        assert config.weights_encoding == "int8-delta" and 5_000_000 < size < 5_600_000


def test_tokens_match_the_training_encode_on_real_and_edge_pairs() -> None:
    config = read_reader_config(READER_DIR)
    tokenizer = PairTokenizer(base_spec(config).tokenizer, config)
    pairs = [p for group in dev_pairs() for p in group] + EDGE_PAIRS
    ours = [tokenizer.encode(p.question, [(p.sentence, p.previous)])[0] for p in pairs]
    assert len(pairs) >= 300 and ours == torch_encode(pairs)


def test_onnx_probabilities_match_torch_on_real_pairs(exported) -> None:
    encoder, state = exported
    result = compare(encoder, state, dev_pairs()[:16])
    assert result.pairs >= 50 and result.tokens_identical
    assert result.max_abs_probability <= 1e-3
    assert result.max_abs_probability_stored_weights <= 1e-4
