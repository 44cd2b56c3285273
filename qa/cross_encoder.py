"""Score (question, sentence) pairs with the trained answer cross-encoder, on ONNX Runtime.

The cross-encoder reads a question and a candidate sentence together (with the
sentence before it as context) and gives the probability that the sentence
answers the question. Its files and its graph are described in
``seedqa.qa.cross_encoder_files`` and ``seedqa.qa.cross_encoder_graph``; this
module tokenises pairs exactly as the training code did and runs the graph.
No torch is needed.

Example:
    >>> encoder = CrossEncoder.load()                       # models/reader/
    >>> encoder.score("how big is the tank?",
    ...               [("The tank holds 1.7 litres.", "Fill it with cold water."),
    ...                ("The lid is made of glass.", "")])  # doctest: +SKIP
    array([0.89, 0.03], dtype=float32)

"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seedqa.index.model_files import ModelSpec
from seedqa.index.onnx_encoder import session_options
from seedqa.qa.cross_encoder_files import (
    READER_DIR,
    CrossEncoderError,
    ReaderConfig,
    read_reader_config,
)
from seedqa.qa.cross_encoder_graph import base_spec, cached_graph_path, graph_bytes

__all__ = ["CrossEncoder", "CrossEncoderError", "EncodedPairs", "PairTokenizer"]


@dataclass(frozen=True)
class EncodedPairs:
    """A padded batch of pairs as the graph takes it (int64, pairs x tokens)."""

    input_ids: np.ndarray
    token_type_ids: np.ndarray
    attention_mask: np.ndarray

    def feeds(self) -> dict[str, np.ndarray]:
        """The ONNX Runtime inputs."""
        return {
            "input_ids": self.input_ids,
            "token_type_ids": self.token_type_ids,
            "attention_mask": self.attention_mask,
        }


class PairTokenizer:
    """Wordpieces of ``[CLS] question [SEP] sentence [SEP] previous [SEP]``, as training made them.

    The question keeps its first ``max_question`` wordpieces and the sentence its
    first ``max_sentence``; the previous sentence fills what is left of
    ``max_tokens`` and is left out (with its ``[SEP]``) when empty or when no
    room is left. Token types are 0 for ``[CLS] question [SEP]`` and 1 after.
    """

    def __init__(self, tokenizer_file: Path, config: ReaderConfig) -> None:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(tokenizer_file))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self._config = config
        self.cls_id = tokenizer.token_to_id("[CLS]")
        self.sep_id = tokenizer.token_to_id("[SEP]")
        self.pad_id = tokenizer.token_to_id("[PAD]") or 0

    def _wordpieces(self, texts: list[str]) -> list[list[int]]:
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=False)
        return [e.ids for e in encodings]

    def encode(
        self, question: str, candidates: Sequence[tuple[str, str]]
    ) -> list[tuple[list[int], list[int]]]:
        """``(ids, token types)`` of each ``(sentence, previous sentence)`` with ``question``."""
        c = self._config
        sentences = [s for s, _ in candidates]
        previous = [p for _, p in candidates]
        pieces = self._wordpieces([question, *sentences, *previous])
        q = pieces[0][: c.max_question]
        pairs = []
        for row, (_, before) in enumerate(candidates):
            s = pieces[1 + row][: c.max_sentence]
            room = c.max_tokens - len(q) - len(s) - 4
            p = pieces[1 + len(candidates) + row][: max(room, 0)] if before else []
            ids = [self.cls_id, *q, self.sep_id, *s, self.sep_id] + ([*p, self.sep_id] if p else [])
            types = [0] * (len(q) + 2) + [1] * (len(ids) - len(q) - 2)
            pairs.append((ids, types))
        return pairs

    def batch(self, question: str, candidates: Sequence[tuple[str, str]]) -> EncodedPairs:
        """The pairs of ``question`` with each candidate, padded to the longest."""
        pairs = self.encode(question, candidates)
        width = max(len(ids) for ids, _ in pairs)
        ids = np.full((len(pairs), width), self.pad_id, dtype=np.int64)
        types = np.zeros((len(pairs), width), dtype=np.int64)
        mask = np.zeros((len(pairs), width), dtype=np.int64)
        for row, (pair_ids, pair_types) in enumerate(pairs):
            ids[row, : len(pair_ids)] = pair_ids
            types[row, : len(pair_types)] = pair_types
            mask[row, : len(pair_ids)] = 1
        return EncodedPairs(ids, types, mask)


def _open_session(config: ReaderConfig, spec: ModelSpec, options: object) -> object:
    """A session on the cached graph, rebuilt once if unreadable; in memory if no cache."""
    import onnxruntime

    providers = ["CPUExecutionProvider"]
    try:
        path = cached_graph_path(config, spec)
    except OSError:
        return onnxruntime.InferenceSession(graph_bytes(config, spec), options, providers=providers)
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=providers)
    except Exception:  # noqa: BLE001 - a truncated or stale file: build again, once
        path = cached_graph_path(config, spec, refresh=True)
        return onnxruntime.InferenceSession(str(path), options, providers=providers)


class CrossEncoder:
    """The answer cross-encoder: probability that a sentence answers a question.

    Load it once with ``CrossEncoder.load`` (the first load on a machine builds
    the ONNX graph into the seedqa cache, about a second); ``score`` is then
    safe to call from many threads.

    Example:
        >>> encoder = CrossEncoder.load()
        >>> encoder.score("what does it cost?", [("It costs €40.", ""), ("It is red.", "")])
        ... # doctest: +SKIP
        array([0.91, 0.02], dtype=float32)

    """

    def __init__(self, config: ReaderConfig, session: object, tokenizer: PairTokenizer) -> None:
        self.config = config
        self.tokenizer = tokenizer
        self._session = session

    @classmethod
    def load(cls, model_dir: Path = READER_DIR, threads: int | None = None) -> CrossEncoder:
        """Open the cross-encoder in ``model_dir`` (default: the shipped ``models/reader``).

        ``threads`` sets ONNX Runtime's intra-op threads (default ``$SEEDQA_THREADS``,
        else one per physical core), as for the embedder. Raises
        ``CrossEncoderError`` (a one-line message with the fix) when the folder,
        its base model or their weights are missing or do not match.
        """
        config = read_reader_config(model_dir)
        spec = base_spec(config)
        if spec.tokenizer is None:
            raise CrossEncoderError(f"the base model at {spec.directory} has no tokenizer.json")
        session = _open_session(config, spec, session_options(threads))
        return cls(config, session, PairTokenizer(spec.tokenizer, config))

    def logits(self, question: str, candidates: Sequence[tuple[str, str]]) -> np.ndarray:
        """Raw logits, one per ``(sentence, previous sentence)`` candidate (float32)."""
        if not candidates:
            return np.zeros(0, dtype=np.float32)
        batch = self.tokenizer.batch(question, candidates)
        return self._session.run(["logit"], batch.feeds())[0].astype(np.float32, copy=False)

    def score(self, question: str, candidates: Sequence[tuple[str, str]]) -> np.ndarray:
        """Probability that each ``(sentence, previous sentence)`` answers ``question``.

        All candidates go through the graph as one padded batch; an empty
        ``previous`` means the sentence opens its text. Returns float32 in [0, 1],
        in the candidates' order (empty for no candidates).
        """
        logits = self.logits(question, candidates).astype(np.float64)
        return (0.5 * (1.0 + np.tanh(0.5 * logits))).astype(np.float32)
