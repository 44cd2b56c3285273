"""Build an ONNX graph of a BERT sentence encoder from its safetensors weights, without torch.

The graph is written node by node with the ``onnx`` helpers: embeddings,
``num_hidden_layers`` post-norm encoder layers, then the model's pooling
(mean, CLS or max) and L2 normalisation (seedqa always compares unit
vectors). It has two inputs, ``input_ids`` and ``attention_mask`` (int64,
batch x tokens; token types are all zero, as sentence-transformers feeds
them), and two outputs: ``token_embeddings`` (the last hidden state, batch x
tokens x hidden) and ``sentence_embedding`` (batch x hidden). Each encoder
layer is written with ONNX Runtime's fused CPU kernels (``Attention``,
``SkipLayerNormalization``, ``BiasGelu`` from the ``com.microsoft`` domain),
the graph ONNX Runtime's own BERT optimiser would produce.

``export_onnx`` writes the graph once into a cache directory keyed by the
model files' fingerprint (see ``model_files.ModelSpec.fingerprint``);
``cached_onnx_path`` finds or makes it.

Example:
    >>> path = cached_onnx_path(read_model_spec(model_dir))   # exports on first use only
    >>> path.name
    'model.onnx'

"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from seedqa.index.model_files import ModelSpec

#: Bump when the graph changes: old exports are then rebuilt, never reused.
EXPORT_VERSION = 1
OPSET = 18
CACHE_ENV = "SEEDQA_CACHE_DIR"
_ONNX_FILE = "model.onnx"
_INFO_FILE = "export.json"
_MS = "com.microsoft"


def cache_root() -> Path:
    """Return ``$SEEDQA_CACHE_DIR`` or ``$XDG_CACHE_HOME/seedqa`` (default ``~/.cache/seedqa``)."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "seedqa"


def export_dir(spec: ModelSpec) -> Path:
    """The cache directory of ``spec``'s ONNX export (it may not exist yet)."""
    return cache_root() / "onnx" / f"v{EXPORT_VERSION}-{spec.fingerprint()[:24]}"


def cached_onnx_path(spec: ModelSpec, refresh: bool = False) -> Path:
    """Return the exported graph of ``spec``, exporting it first if it is not cached.

    ``refresh`` exports again even if a file is there (it was found unreadable).
    Raises ``OSError`` when the cache directory cannot be written.
    """
    target = export_dir(spec)
    path = target / _ONNX_FILE
    if refresh or not path.is_file():
        export_onnx(spec, target)
    return path


def export_bytes(spec: ModelSpec) -> bytes:
    """The exported graph as bytes, for when no cache directory can be written."""
    return _build(spec).SerializeToString()


def _build(spec: ModelSpec) -> object:
    config = json.loads((spec.directory / "config.json").read_text(encoding="utf-8"))
    return build_bert_graph(config, read_bert_weights(spec.weights), spec.pooling)


def read_bert_weights(path: Path) -> dict[str, np.ndarray]:
    """A BERT safetensors file's float tensors as float32, names without a ``bert.`` prefix."""
    from safetensors.numpy import load_file

    weights = load_file(str(path))
    prefix = "bert."
    if any(name.startswith(prefix) for name in weights):
        weights = {name.removeprefix(prefix): value for name, value in weights.items()}
    return {
        name: value.astype(np.float32, copy=False)
        for name, value in weights.items()
        if value.dtype != np.int64
    }


def export_onnx(spec: ModelSpec, target: Path) -> Path:
    """Write ``spec``'s graph as ``target/model.onnx`` (atomically) and return its path."""
    info = {
        "export_version": EXPORT_VERSION,
        "model": str(spec.directory),
        "fingerprint": spec.fingerprint(),
        "pooling": spec.pooling,
    }
    return save_graph(_build(spec), target, info)


def save_graph(model: object, target: Path, info: dict) -> Path:
    """Write ``model`` as ``target/model.onnx`` (atomically) and ``info`` beside it as JSON."""
    import onnx

    target.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=target, suffix=".onnx.tmp")
    os.close(handle)
    try:
        onnx.save_model(model, tmp_name)
        os.replace(tmp_name, target / _ONNX_FILE)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    (target / _INFO_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return target / _ONNX_FILE


class GraphBuilder:
    """Collects nodes and initializers; each method adds one operation and returns its output."""

    def __init__(self) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list = []
        self.initializers: list = []
        self._names: set[str] = set()
        self._count = 0

    def const(self, name: str, value: np.ndarray) -> str:
        """Add an initializer (once per name) and return its name."""
        if name not in self._names:
            self._names.add(name)
            array = np.array(value, order="C")  # (ascontiguousarray would make scalars 1-d)
            self.initializers.append(self.numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, *inputs: str, **attrs: object) -> str:
        """Add one ``op_type`` node on ``inputs`` and return the name of its single output."""
        self._count += 1
        output = f"{op_type.lower()}_{self._count}"
        self.nodes.append(self.helper.make_node(op_type, list(inputs), [output], **attrs))
        return output

    def layer_norm(self, x: str, weights: dict[str, np.ndarray], prefix: str, eps: float) -> str:
        """Standard ONNX layer normalisation with ``prefix.weight``/``prefix.bias``."""
        gamma = self.const(f"{prefix}.weight", weights[f"{prefix}.weight"])
        beta = self.const(f"{prefix}.bias", weights[f"{prefix}.bias"])
        return self.op("LayerNormalization", x, gamma, beta, axis=-1, epsilon=eps)

    def dense_skip_norm(
        self, x: str, residual: str, weights: dict[str, np.ndarray], prefix: str, eps: float
    ) -> str:
        """``LayerNorm(x @ W.T + b + residual)``: BERT's output block, as one fused kernel."""
        w = self.const(f"{prefix}.dense.weight_t", weights[f"{prefix}.dense.weight"].T)
        projected = self.op("MatMul", x, w)
        return self.op(
            "SkipLayerNormalization",
            projected,
            residual,
            self.const(f"{prefix}.LayerNorm.weight", weights[f"{prefix}.LayerNorm.weight"]),
            self.const(f"{prefix}.LayerNorm.bias", weights[f"{prefix}.LayerNorm.bias"]),
            self.const(f"{prefix}.dense.bias", weights[f"{prefix}.dense.bias"]),
            domain=_MS,
            epsilon=eps,
        )


def encoder_layer(
    g: GraphBuilder, x: str, mask: str, weights: dict, index: int, config: dict
) -> str:
    """One post-norm encoder layer from ONNX Runtime's fused kernels.

    ``Attention`` (packed QKV projection, masked softmax, heads merged),
    ``SkipLayerNormalization`` (residual + bias + layer norm) and ``BiasGelu``
    (bias + exact GELU). ONNX Runtime does not find these fusions by itself
    in the plain-operator graph, and they cut batch time by about 8 %.
    """
    prefix = f"encoder.layer.{index}"
    eps = float(config.get("layer_norm_eps", 1e-12))
    heads = int(config["num_attention_heads"])
    projections = [f"{prefix}.attention.self.{name}" for name in ("query", "key", "value")]
    qkv_weight = np.concatenate([weights[f"{p}.weight"].T for p in projections], axis=1)
    qkv_bias = np.concatenate([weights[f"{p}.bias"] for p in projections])
    attended = g.op(
        "Attention",
        x,
        g.const(f"{prefix}.attention.qkv.weight", qkv_weight),
        g.const(f"{prefix}.attention.qkv.bias", qkv_bias),
        mask,
        domain=_MS,
        num_heads=heads,
    )
    x = g.dense_skip_norm(attended, x, weights, f"{prefix}.attention.output", eps)
    inner = g.op(
        "MatMul",
        x,
        g.const(
            f"{prefix}.intermediate.dense.weight_t",
            weights[f"{prefix}.intermediate.dense.weight"].T,
        ),
    )
    bias = g.const(
        f"{prefix}.intermediate.dense.bias", weights[f"{prefix}.intermediate.dense.bias"]
    )
    if config.get("hidden_act") == "gelu":
        inner = g.op("BiasGelu", inner, bias, domain=_MS)
    else:
        inner = g.op("Relu", g.op("Add", inner, bias))
    return g.dense_skip_norm(inner, x, weights, f"{prefix}.output", eps)


def _embeddings(g: GraphBuilder, weights: dict, eps: float) -> str:
    """Word + position + token-type-0 embeddings, layer-normed."""
    words = g.op(
        "Gather",
        g.const("word_embeddings", weights["embeddings.word_embeddings.weight"]),
        "input_ids",
        axis=0,
    )
    positions_table = (
        weights["embeddings.position_embeddings.weight"]
        + weights["embeddings.token_type_embeddings.weight"][0]
    )
    table = g.const("position_embeddings", positions_table)
    length = g.op("Gather", g.op("Shape", "input_ids"), g.const("one_index", np.array([1])), axis=0)
    zero = g.const("zero_index", np.array([0], dtype=np.int64))
    positions = g.op("Slice", table, zero, length, zero)
    summed = g.op("Add", words, positions)
    return g.layer_norm(summed, weights, "embeddings.LayerNorm", eps)


def pool_tokens(g: GraphBuilder, hidden: str, mask: str, pooling: str) -> str:
    """Sentence vector from token vectors and the float mask (batch x tokens x 1)."""
    if pooling == "cls":
        first = g.const("first_token", np.array(0, dtype=np.int64))
        return g.op("Gather", hidden, first, axis=1)
    if pooling == "max":
        big = g.const("pool_big", np.array(1e9, dtype=np.float32))
        one = g.const("pool_one", np.array(1.0, dtype=np.float32))
        penalty = g.op("Mul", g.op("Sub", mask, one), big)
        return g.op(
            "ReduceMax", g.op("Add", hidden, penalty), g.const("axis1", np.array([1])), keepdims=0
        )
    axis = g.const("pool_axis", np.array([1], dtype=np.int64))
    total = g.op("ReduceSum", g.op("Mul", hidden, mask), axis, keepdims=0)
    count = g.op("ReduceSum", mask, axis, keepdims=0)
    floor = g.const("pool_min_count", np.array(1e-9, dtype=np.float32))
    return g.op("Div", total, g.op("Max", count, floor))


def build_bert_graph(config: dict, weights: dict[str, np.ndarray], pooling: str) -> object:
    """Return an ``onnx.ModelProto`` of a BERT sentence encoder (see the module docstring)."""
    from onnx import TensorProto, helper

    g = GraphBuilder()
    eps = float(config.get("layer_norm_eps", 1e-12))
    x = _embeddings(g, weights, eps)
    mask = g.op("Cast", "attention_mask", to=TensorProto.FLOAT)
    mask_index = g.op("Cast", "attention_mask", to=TensorProto.INT32)
    for index in range(int(config["num_hidden_layers"])):
        x = encoder_layer(g, x, mask_index, weights, index, config)
    g.nodes.append(helper.make_node("Identity", [x], ["token_embeddings"]))
    mask3 = g.op("Unsqueeze", mask, g.const("mask_last_axis", np.array([2], dtype=np.int64)))
    pooled = pool_tokens(g, "token_embeddings", mask3, pooling)
    norm = g.op("ReduceL2", pooled, g.const("norm_axis", np.array([1])), keepdims=1)
    floor = g.const("norm_floor", np.array(1e-12, dtype=np.float32))
    pooled = g.op("Div", pooled, g.op("Max", norm, floor))
    g.nodes.append(helper.make_node("Identity", [pooled], ["sentence_embedding"]))
    hidden = int(config["hidden_size"])
    graph = helper.make_graph(
        g.nodes,
        "seedqa_bert_encoder",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [
            helper.make_tensor_value_info(
                "token_embeddings", TensorProto.FLOAT, ["batch", "tokens", hidden]
            ),
            helper.make_tensor_value_info(
                "sentence_embedding", TensorProto.FLOAT, ["batch", hidden]
            ),
        ],
        g.initializers,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid(_MS, 1)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="seedqa")
    model.ir_version = 8
    return model
