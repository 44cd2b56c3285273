"""The ONNX cross-encoder computes what the torch training model computes, on real pairs.

A ``TopModel`` with three frozen layers (not the shipped four: the runtime must
take the count from the exported config) and weights moved away from the base
model's is exported with ``training.xenc_export`` and loaded by
``qa.cross_encoder``; both score the users'-style development pairs. The
tokens must be identical to the training code's ``encode`` (Hugging Face's
AutoTokenizer), the probabilities within 1e-3. Skipped without torch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from seedqa.qa.cross_encoder import CrossEncoder  # noqa: E402
from seedqa.training.xenc_export import export_reader  # noqa: E402
from seedqa.training.xenc_parity import (  # noqa: E402
    ParityPair,
    compare,
    dev_pairs,
    frozen_layers,
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
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[CrossEncoder, dict]:
    folder = tmp_path_factory.mktemp("xenc")
    torch.manual_seed(0)
    with frozen_layers(3) as xenc_model, torch.no_grad():
        model = xenc_model.TopModel()
        for parameter in model.layers.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.01)
        model.head.weight.mul_(20.0)  # probabilities spread over (0, 1), not all near 0.5
    state = model.state_dict()
    torch.save(state, folder / "top.pt")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEEDQA_CACHE_DIR", str(folder / "cache"))
        encoder = CrossEncoder.load(export_reader(folder / "top.pt", folder / "reader"))
    return encoder, state


def test_export_reads_the_frozen_layer_count_from_the_checkpoint(exported) -> None:
    encoder, _ = exported
    assert (encoder.config.frozen_layers, encoder.config.num_layers) == (3, 6)
    size = Path(encoder.config.weights).stat().st_size
    assert 10_000_000 < size < 11_000_000  # three fp16 layers and the head


def test_tokens_match_the_training_encode_on_real_and_edge_pairs(exported) -> None:
    encoder, _ = exported
    pairs = [p for group in dev_pairs() for p in group] + EDGE_PAIRS
    ours = [encoder.tokenizer.encode(p.question, [(p.sentence, p.previous)])[0] for p in pairs]
    assert ours == torch_encode(pairs)


def test_onnx_probabilities_match_torch_on_real_pairs(exported) -> None:
    encoder, state = exported
    result = compare(encoder, state, dev_pairs()[:24])
    assert result.pairs >= 50 and result.tokens_identical
    assert result.max_abs_probability <= 1e-3
    assert result.max_abs_probability_fp16_reference <= 1e-4
    probabilities = encoder.score("how many days can staff work remotely?", [("Yes.", "")])
    assert np.isfinite(probabilities).all()
