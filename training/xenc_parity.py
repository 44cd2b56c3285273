"""The ONNX cross-encoder (``seedqa.qa.cross_encoder``) against the torch ``TopModel`` it came from.

Real pairs come from the users'-style development set: each question of
``eval/dev_questions.jsonl`` with sentences of a development document (the
evidence sentence when there is one, the document's longest sentences, and one
picked at random), each with the sentence before it. The torch side is the
training code itself (``seedqa.training.xenc_model``): ``encode`` with Hugging
Face's ``AutoTokenizer``, the bundled model's embeddings and lower layers in
``transformers``, then ``TopModel`` with the checkpoint. Needs torch.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seedqa.index.load import load_file
from seedqa.index.sentences import split_sentences
from seedqa.qa.cross_encoder import CrossEncoder

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
    max_abs_probability_fp16_reference: float


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


@contextmanager
def frozen_layers(count: int) -> Iterator[object]:
    """The training module with its ``FROZEN`` set to ``count`` (restored afterwards)."""
    from seedqa.training import xenc_model

    saved = xenc_model.FROZEN
    xenc_model.FROZEN = count
    try:
        yield xenc_model
    finally:
        xenc_model.FROZEN = saved


@functools.cache
def _auto_tokenizer() -> object:
    from transformers import AutoTokenizer

    from seedqa.training import xenc_model

    return AutoTokenizer.from_pretrained(xenc_model.model_path())


def torch_encode(pairs: list[ParityPair]) -> list[tuple[list[int], list[int]]]:
    """Token ids and types of each pair from the training code's ``encode`` (AutoTokenizer)."""
    from seedqa.training import xenc_model

    tokenizer = _auto_tokenizer()
    return [xenc_model.encode(tokenizer, p.question, p.sentence, p.previous) for p in pairs]


def torch_logits(
    state: dict, frozen: int, batches: list[list[tuple[list[int], list[int]]]]
) -> np.ndarray:
    """Logits of the torch ``TopModel`` with ``state``, one padded batch per question."""
    import torch

    with frozen_layers(frozen) as xenc_model, torch.inference_mode():
        lower = xenc_model.lower_model()
        top = xenc_model.TopModel()
        top.load_state_dict(state)
        top.eval()
        found = []
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


def compare(encoder: CrossEncoder, state: dict, groups: list[list[ParityPair]]) -> ParityResult:
    """Score ``groups`` with ``encoder`` and with torch on ``state`` (a ``TopModel`` state_dict).

    The fp16 reference is the same torch model with its weights rounded to
    float16, as the shipped file stores them: it isolates the graph's own error.
    """
    ours_tokens, theirs_tokens, ours = [], [], []
    for group in groups:
        candidates = [(p.sentence, p.previous) for p in group]
        ours_tokens.append(encoder.tokenizer.encode(group[0].question, candidates))
        theirs_tokens.append(torch_encode(group))
        ours.append(encoder.logits(group[0].question, candidates))
    logits = np.concatenate(ours).astype(np.float64)
    frozen = encoder.config.frozen_layers
    reference = torch_logits(state, frozen, theirs_tokens)
    rounded = {k: v.half().float() for k, v in state.items()}
    reference16 = torch_logits(rounded, frozen, theirs_tokens)
    difference = np.abs(_sigmoid(logits) - _sigmoid(reference))
    return ParityResult(
        pairs=len(logits),
        questions=len(groups),
        tokens_identical=ours_tokens == theirs_tokens,
        max_abs_probability=float(difference.max()),
        mean_abs_probability=float(difference.mean()),
        max_abs_logit=float(np.abs(logits - reference).max()),
        max_abs_probability_fp16_reference=float(
            np.abs(_sigmoid(logits) - _sigmoid(reference16)).max()
        ),
    )
