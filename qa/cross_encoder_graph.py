"""The answer cross-encoder's ONNX graph, built without torch and cached per machine.

``build_cross_encoder_graph`` writes the whole network as one ONNX graph with
the fused ONNX Runtime kernels of ``seedqa.index.onnx_export``: the base
model's embeddings (word, position and token type) and frozen lower layers,
then the fine-tuned top layers and the head from the shipped folder (see
``seedqa.qa.cross_encoder_files``). Inputs ``input_ids``, ``token_type_ids`` and
``attention_mask`` (int64, pairs x tokens); output ``logit``, one per pair:
the head over the ``[CLS]`` state and the masked mean of the last layer.
``cached_graph_path`` builds it once per (base model, reader) pair into the
seedqa cache directory, keyed by both fingerprints.

Example:
    >>> config = read_reader_config(READER_DIR)
    >>> path = cached_graph_path(config, base_spec(config))   # built on first use only
    >>> path.name
    'model.onnx'

"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

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
from seedqa.qa.cross_encoder_files import CrossEncoderError, ReaderConfig, read_reader_weights

#: Bump when the graph changes: cached graphs are then rebuilt, never reused.
GRAPH_VERSION = 1


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


def _build(config: ReaderConfig, spec: ModelSpec) -> object:
    base = json.loads((spec.directory / "config.json").read_text(encoding="utf-8"))
    if int(base["num_hidden_layers"]) != config.num_layers:
        raise CrossEncoderError(
            f"the base model has {base['num_hidden_layers']} layers, the cross-encoder expects "
            f"{config.num_layers}; reinstall the base model with `make install`"
        )
    weights = read_bert_weights(spec.weights)
    weights.update(read_reader_weights(config, spec.weights, weights))
    return build_cross_encoder_graph(base, weights)


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
