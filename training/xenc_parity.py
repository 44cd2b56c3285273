"""The ONNX cross-encoder (``seedqa.qa.cross_encoder``) against the torch ``TopModel`` it came from.

Real pairs come from the users'-style development set: each question of
``eval/dev_questions.jsonl`` with sentences of a development document (the
evidence sentence when there is one, the document's longest sentences, and one
picked at random), each with the sentence before it. The torch side is the
training code itself (``xenc_export.training_module``: ``reader_model``):
its ``encode`` with Hugging Face's ``AutoTokenizer``, the
bundled model's embeddings and lower layers in ``transformers``, then its
``TopModel`` with the checkpoint. Needs torch.
"""

from __future__ import annotations

import functools
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seedqa.index.load import load_file
from seedqa.index.sentences import split_sentences
from seedqa.qa.cross_encoder import CrossEncoder
from seedqa.qa.cross_encoder_files import (
    HEAD_NAMES,
    LAYER_NAMES,
    ReaderConfig,
    decode_weights,
)
from seedqa.training.xenc_export import training_module

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ParityPair:
    """One question with one candidate sentence and the sentence before it ('' if none)."""

    question: str
    sentence: str
    previous: str


@dataclass(frozen=True)
class ParityResult:
    """How closely the ONNX cross-encoder follows torch on the same pairs."""

    pairs: int
    questions: int
    tokens_identical: bool
    max_abs_probability: float
    mean_abs_probability: float
    max_abs_logit: float
    max_abs_probability_stored_weights: float


def dev_pairs(repo: Path = REPO, per_question: int = 4, seed: int = 0) -> list[list[ParityPair]]:
    """Pairs for each development question (one list per question), deterministic."""
    corpus = repo / "eval" / "dev_corpus"
    sentences: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(corpus.iterdir()):
        text = load_file(path, corpus).text
        found = [text[s.start : s.end] for s in split_sentences(text)]
        sentences[path.name] = [(s, found[i - 1] if i else "") for i, s in enumerate(found)]
    names = sorted(sentences)
    rng = random.Random(seed)
    groups = []
    lines = (repo / "eval" / "dev_questions.jsonl").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        item = json.loads(line)
        doc = sentences[item.get("source") or names[number % len(names)]]
        evidence = [
            i for i, (s, _) in enumerate(doc) if any(e in s for e in item.get("evidence", []))
        ]
        longest = sorted(range(len(doc)), key=lambda i: -len(doc[i][0]))[:2]
        chosen = list(dict.fromkeys([*evidence[:1], *longest, rng.randrange(len(doc))]))
        groups.append([ParityPair(item["question"], *doc[i]) for i in chosen[:per_question]])
    return groups


def top_model(frozen: int) -> object:
    """The training code's ``TopModel`` over layers ``frozen`` and up (with the base weights)."""
    return training_module().TopModel(frozen)


@functools.cache
def _auto_tokenizer() -> object:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(training_module().model_path())


def torch_encode(pairs: list[ParityPair]) -> list[tuple[list[int], list[int]]]:
    """Token ids and types of each pair from the training code's ``encode`` (AutoTokenizer)."""
    encode, tokenizer = training_module().encode, _auto_tokenizer()
    return [encode(tokenizer, p.question, p.sentence, p.previous) for p in pairs]


def torch_logits(
    state: dict, frozen: int, batches: list[list[tuple[list[int], list[int]]]]
) -> np.ndarray:
    """Logits of the torch ``TopModel`` with ``state``, one padded batch per question."""
    import torch
    from transformers import AutoModel

    lower = AutoModel.from_pretrained(training_module().model_path())
    lower.encoder.layer = lower.encoder.layer[:frozen]  # as the training cache ran it
    lower.eval()
    top = top_model(frozen)
    top.load_state_dict(state)
    top.eval()
    found = []
    with torch.inference_mode():
        for batch in batches:
            width = max(len(ids) for ids, _ in batch)
            ids = torch.zeros((len(batch), width), dtype=torch.long)
            types, mask = torch.zeros_like(ids), torch.zeros_like(ids)
            for row, (pair_ids, pair_types) in enumerate(batch):
                ids[row, : len(pair_ids)] = torch.tensor(pair_ids)
                types[row, : len(pair_types)] = torch.tensor(pair_types)
                mask[row, : len(pair_ids)] = 1
            hidden = lower(input_ids=ids, token_type_ids=types, attention_mask=mask)[0]
            found.append(top(hidden, mask.float()).numpy())
    return np.concatenate(found).astype(np.float64)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


def stored_state(config: ReaderConfig) -> dict:
    """The ``TopModel`` state_dict the shipped file holds, after its fp16 or int8 rounding."""
    import torch
    from safetensors.numpy import load_file

    from seedqa.index.onnx_export import read_bert_weights
    from seedqa.qa.cross_encoder_graph import base_spec

    base = read_bert_weights(base_spec(config).weights)
    inverse = {bert: top for top, bert in LAYER_NAMES.items()}
    state = {}
    for name, value in decode_weights(load_file(str(config.weights)), base).items():
        match = re.fullmatch(r"encoder\.layer\.(\d+)\.(.+)\.(weight|bias)", name)
        if name not in HEAD_NAMES:
            layer = int(match[1]) - config.frozen_layers
            name = f"layers.{layer}.{inverse[match[2]]}.{match[3]}"
        state[name] = torch.from_numpy(value)
    return state


def compare(encoder: CrossEncoder, state: dict, groups: list[list[ParityPair]]) -> ParityResult:
    """Score ``groups`` with ``encoder`` and with torch on ``state`` (a ``TopModel`` state_dict).

    A second torch reference runs the weights as the shipped file stores them
    (float16, or int8 deltas): it isolates the graph's own error from the storage's.
    """
    ours_tokens, theirs_tokens, ours = [], [], []
    for group in groups:
        candidates = [(p.sentence, p.previous) for p in group]
        ours_tokens.append(encoder.tokenizer.encode(group[0].question, candidates))
        theirs_tokens.append(torch_encode(group))
        ours.append(encoder.logits(group[0].question, candidates))
    probabilities = _sigmoid(np.concatenate(ours))
    frozen = encoder.config.frozen_layers
    reference = torch_logits(state, frozen, theirs_tokens)
    stored = torch_logits(stored_state(encoder.config), frozen, theirs_tokens)
    difference = np.abs(probabilities - _sigmoid(reference))
    return ParityResult(
        pairs=len(probabilities),
        questions=len(groups),
        tokens_identical=ours_tokens == theirs_tokens,
        max_abs_probability=float(difference.max()),
        mean_abs_probability=float(difference.mean()),
        max_abs_logit=float(np.abs(np.concatenate(ours) - reference).max()),
        max_abs_probability_stored_weights=float(np.abs(probabilities - _sigmoid(stored)).max()),
    )
