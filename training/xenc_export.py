"""Turn a trained cross-encoder checkpoint (``TopModel`` state_dict) into the shipped folder.

Usage:
  python -m seedqa.training.xenc_export --checkpoint model.pt [--out models/reader]
      [--encoding auto|fp16|int8-delta]

Writes ``weights.safetensors`` (the fine-tuned top layers and the head under
BERT's names, see ``seedqa.qa.cross_encoder_files``) and ``config.json``
(``ReaderConfig`` plus the training record). The number of frozen layers is
read from the checkpoint (base layers minus trained layers), never assumed.
``auto`` stores float16 when that fits ``SIZE_BUDGET`` (two fine-tuned
layers), else int8 deltas from the base weights (three or four layers).
Needs torch only to read the ``.pt`` file.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import time
from pathlib import Path
from types import ModuleType

import numpy as np

from seedqa.index.onnx_export import read_bert_weights
from seedqa.qa.cross_encoder_files import (
    CONFIG_FILE,
    ENCODINGS,
    FORMAT_VERSION,
    LAYER_NAMES,
    READER_DIR,
    WEIGHTS_FILE,
    ReaderConfig,
    encode_weights,
    file_sha256,
    read_reader_config,
)

#: The base model every cross-encoder here starts from (``seedqa.index.embed.resolve_model``).
BASE_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
#: Above this the folder no longer fits the 10 MB ``models/`` budget beside the answer model.
SIZE_BUDGET = 8_500_000
_LAYER_KEY = re.compile(r"^layers\.(\d+)\.(\w+)\.(weight|bias)$")


def rename_checkpoint(state: dict[str, np.ndarray], frozen: int) -> dict[str, np.ndarray]:
    """``TopModel`` names -> BERT names (top layer ``i`` becomes ``encoder.layer.{frozen + i}``)."""
    renamed: dict[str, np.ndarray] = {}
    for key, value in state.items():
        match = _LAYER_KEY.match(key)
        if match:
            layer, part, kind = int(match[1]), match[2], match[3]
            if part not in LAYER_NAMES:
                raise ValueError(f"unexpected parameter {key!r} in the checkpoint")
            renamed[f"encoder.layer.{frozen + layer}.{LAYER_NAMES[part]}.{kind}"] = value
        elif key in ("head.weight", "head.bias"):
            renamed[key] = value
        else:
            raise ValueError(f"unexpected parameter {key!r} in the checkpoint")
    return renamed


def _top_layers(state: dict) -> int:
    found = {int(m[1]) for key in state if (m := _LAYER_KEY.match(key))}
    if not found or found != set(range(len(found))):
        raise ValueError(f"the checkpoint's top layers are not 0..n-1: {sorted(found)}")
    return len(found)


def training_module() -> ModuleType:
    """The cross-encoder's training code (``reader_model``).

    It defines ``encode``, ``TopModel`` and the pair limits ``MAX_TOKENS``,
    ``MAX_QUESTION`` and ``MAX_SENTENCE``.
    """
    return importlib.import_module("seedqa.training.reader_model")


def _caps() -> dict[str, int]:
    """The pair limits the training code used (its module constants)."""
    module = training_module()
    return {
        "max_tokens": module.MAX_TOKENS,
        "max_question": module.MAX_QUESTION,
        "max_sentence": module.MAX_SENTENCE,
    }


def export_reader(
    checkpoint: Path, out: Path = READER_DIR, base: Path | None = None, encoding: str = "auto"
) -> Path:
    """Write the shipped cross-encoder folder for ``checkpoint`` into ``out``; return ``out``.

    ``base`` is the base model folder (default: the bundled all-MiniLM-L6-v2);
    ``encoding`` is ``auto`` or one of ``ENCODINGS``.
    """
    import torch
    from safetensors.numpy import save_file

    from seedqa.index.embed import resolve_model

    base = Path(base or resolve_model(BASE_MODEL)[1])
    state = {k: v.float().numpy() for k, v in torch.load(checkpoint, map_location="cpu").items()}
    num_layers = int(json.loads((base / "config.json").read_text())["num_hidden_layers"])
    frozen = num_layers - _top_layers(state)
    if frozen < 0:
        raise ValueError(f"the checkpoint has more layers than the base model ({num_layers})")
    record = checkpoint.with_suffix(".json")  # the training run's record, if it wrote one
    training = json.loads(record.read_text(encoding="utf-8")) if record.is_file() else {}
    if training.get("frozen", frozen) != frozen:
        raise ValueError(f"{record} says {training['frozen']} frozen layers, checkpoint {frozen}")
    tensors = rename_checkpoint(state, frozen)
    if encoding == "auto":
        fp16_bytes = sum(v.size for v in tensors.values()) * 2
        encoding = "fp16" if fp16_bytes <= SIZE_BUDGET else "int8-delta"
    tensors = encode_weights(tensors, read_bert_weights(base / "model.safetensors"), encoding)
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / WEIGHTS_FILE), metadata={"format": "seedqa-cross-encoder"})
    config = {
        "format_version": FORMAT_VERSION,
        "base_model": BASE_MODEL,
        "base_weights_sha256": file_sha256(base / "model.safetensors"),
        "frozen_layers": frozen,
        "num_layers": num_layers,
        **_caps(),
        "weights_encoding": encoding,
        "weights_sha256": file_sha256(out / WEIGHTS_FILE),
        "input": "[CLS] question [SEP] sentence [SEP] previous sentence [SEP]; token types 0 "
        "for [CLS] question [SEP], 1 after",
        "output": "logit; probability = sigmoid(logit)",
        "checkpoint": checkpoint.name,
        "exported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "rebuild": f"python -m seedqa.training.xenc_export --checkpoint {checkpoint.name} "
        f"--encoding {encoding}",
    }
    if training:
        config["training"] = training
    (out / CONFIG_FILE).write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    read_reader_config(out)  # what was written reads back
    return out


def folder_size(config: ReaderConfig) -> int:
    """Bytes on disk of the shipped folder's two files."""
    return sum((config.directory / name).stat().st_size for name in (WEIGHTS_FILE, CONFIG_FILE))


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, required=True, help="TopModel state_dict (.pt)")
    parser.add_argument("--out", type=Path, default=READER_DIR)
    parser.add_argument("--base", type=Path, default=None, help="base model folder")
    parser.add_argument("--encoding", choices=("auto", *ENCODINGS), default="auto")
    args = parser.parse_args()
    out = export_reader(args.checkpoint, args.out, args.base, args.encoding)
    config = read_reader_config(out)
    size = folder_size(config)
    print(
        f"wrote {config.directory}: layers {config.frozen_layers}..{config.num_layers - 1} + head "
        f"as {config.weights_encoding}, {size / 1e6:.2f} MB, sha256 {config.weights_sha256[:16]}"
    )
    if size > SIZE_BUDGET:
        print(f"warning: over the {SIZE_BUDGET / 1e6:.1f} MB budget for models/reader")


if __name__ == "__main__":
    main()
