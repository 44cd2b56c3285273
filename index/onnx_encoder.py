"""Run a sentence encoder on ONNX Runtime: tokenise, batch, infer, with no torch anywhere.

``OnnxEncoder.load`` takes a model directory that ``model_files.read_model_spec``
accepts, finds (or makes, once) its ONNX export in the user cache
(``onnx_export.cached_onnx_path``) and opens an ONNX Runtime session on it.
Tokenisation uses the ``tokenizers`` library on the model's own
``tokenizer.json``, truncated to the model's ``max_seq_length`` exactly as
sentence-transformers does. Texts are sorted by length before batching so
that a batch carries little padding.

Example:
    >>> encoder = OnnxEncoder.load(read_model_spec(model_dir))
    >>> encoder.encode(["Xiaomi plans to invest $7.18 billion."]).shape
    (1, 384)

"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from seedqa.index.encoder import BATCH_SIZE, TokenEmbeddings
from seedqa.index.model_files import ModelSpec

#: ONNX Runtime intra-op threads; 0 lets it use one per physical core.
THREADS_ENV = "SEEDQA_THREADS"


def _threads() -> int:
    value = os.environ.get(THREADS_ENV, "")
    return int(value) if value.isdigit() else 0


def session_options(threads: int | None = None) -> object:
    """The ONNX Runtime session settings of every graph seedqa runs.

    ``threads`` sets the intra-op thread count (default ``$SEEDQA_THREADS``,
    else one per physical core).
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = _threads() if threads is None else threads
    options.inter_op_num_threads = 1
    # Idle worker threads sleep instead of spinning: under concurrent questions the spin
    # took CPU from the other threads (eval/bench_serve.py: 13.4 -> 7.6 ms of CPU per
    # answer, 20 -> 35 answers/s; single queries and document batches no slower).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


def _open_session(spec: ModelSpec, options: object) -> object:
    """An ONNX Runtime session on ``spec``'s cached export, re-exported if unreadable.

    Without a writable cache directory the graph is built in memory each time.
    """
    import onnxruntime

    from seedqa.index.onnx_export import cached_onnx_path, export_bytes

    providers = ["CPUExecutionProvider"]
    try:
        path = cached_onnx_path(spec)
    except OSError:
        return onnxruntime.InferenceSession(export_bytes(spec), options, providers=providers)
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=providers)
    except Exception:  # noqa: BLE001 - a truncated or stale file: export again, once
        path = cached_onnx_path(spec, refresh=True)
        return onnxruntime.InferenceSession(str(path), options, providers=providers)


class OnnxEncoder:
    """A sentence-transformers model exported to ONNX and run by ONNX Runtime.

    Safe to call from many threads: ONNX Runtime sessions and ``tokenizers``
    tokenizers are both thread-safe.
    """

    runtime = "onnx"
    precision = "fp32"

    def __init__(self, spec: ModelSpec, session: object, tokenizer: object) -> None:
        self.spec = spec
        self._session = session
        self._tokenizer = tokenizer
        self._counter: object | None = None
        self.dimension = int(session.get_outputs()[1].shape[-1])
        self.max_tokens = spec.max_seq_length

    @classmethod
    def load(cls, spec: ModelSpec, threads: int | None = None) -> OnnxEncoder:
        """Open ``spec``'s cached export (exporting it on first use) in an ONNX Runtime session.

        ``threads`` sets the intra-op thread count (default ``$SEEDQA_THREADS``,
        else one per physical core).
        """
        from tokenizers import Tokenizer

        session = _open_session(spec, session_options(threads))
        tokenizer = Tokenizer.from_file(str(spec.tokenizer))
        padding = tokenizer.padding or {}
        tokenizer.enable_truncation(max_length=spec.max_seq_length)
        tokenizer.enable_padding(
            pad_id=int(padding.get("pad_id", 0)), pad_token=str(padding.get("pad_token", "[PAD]"))
        )
        return cls(spec, session, tokenizer)

    def _prepare(self, texts: Sequence[str]) -> list[str]:
        return [t.lower() for t in texts] if self.spec.do_lower_case else list(texts)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Wordpieces per text, special tokens included, without truncation."""
        if self._counter is None:
            from tokenizers import Tokenizer

            counter = Tokenizer.from_str(self._tokenizer.to_str())
            counter.no_truncation()
            counter.no_padding()
            self._counter = counter
        encodings = self._counter.encode_batch(self._prepare(texts))
        return [len(e.ids) for e in encodings]

    def _batches(self, texts: Sequence[str], batch_size: int) -> Iterator[tuple[np.ndarray, list]]:
        """Yield ``(positions, encodings)`` per batch, longest texts first."""
        order = np.argsort([-len(t) for t in texts], kind="stable")
        prepared = self._prepare(texts)
        for start in range(0, len(texts), batch_size):
            positions = order[start : start + batch_size]
            yield positions, self._tokenizer.encode_batch([prepared[i] for i in positions])

    def _run(self, output: str, encodings: list) -> np.ndarray:
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return self._session.run([output], {"input_ids": ids, "attention_mask": mask})[0]

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = BATCH_SIZE,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Return ``(len(texts), dimension)`` float32 sentence vectors, in input order.

        ``on_batch`` is called with the number of texts after every batch (progress).
        """
        result = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for positions, encodings in self._batches(texts, batch_size):
            result[positions] = self._run("sentence_embedding", encodings)
            if on_batch is not None:
                on_batch(len(positions))
        return result

    def token_embeddings(self, texts: Sequence[str]) -> TokenEmbeddings:
        """Return the last hidden state of every token of ``texts`` (one padded batch)."""
        encodings = self._tokenizer.encode_batch(self._prepare(texts))
        vectors = self._run("token_embeddings", encodings)
        return TokenEmbeddings(
            vectors=vectors,
            attention_mask=np.array([e.attention_mask for e in encodings], dtype=np.int64),
            input_ids=np.array([e.ids for e in encodings], dtype=np.int64),
            offsets=np.array([e.offsets for e in encodings], dtype=np.int64).reshape(
                len(encodings), -1, 2
            ),
        )
