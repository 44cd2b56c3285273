"""Parity of the ONNX cross-encoder with the torch TopModel checkpoint it was exported from.

Usage:
  python eval/xenc_parity.py --checkpoint /work/scratch/xenc/data/m4.pt [--model-dir models/reader]

The folder must have been exported from that checkpoint
(``python -m seedqa.training.xenc_export --checkpoint ...``). Prints the token
check and the largest probability difference on the development pairs, and
writes them to ``eval/results/xenc_parity.json``. Needs torch (``make setup``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path

from seedqa.qa.cross_encoder import CrossEncoder
from seedqa.qa.cross_encoder_files import READER_DIR
from seedqa.training.xenc_parity import compare, dev_pairs

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument("--model-dir", type=Path, default=READER_DIR)
    parser.add_argument("--out", type=Path, default=REPO / "eval" / "results" / "xenc_parity.json")
    args = parser.parse_args()
    import torch

    encoder = CrossEncoder.load(args.model_dir, threads=2)
    state = torch.load(args.checkpoint, map_location="cpu")
    result = compare(encoder, state, dev_pairs(REPO))
    record = {
        **dataclasses.asdict(result),
        "checkpoint": args.checkpoint.name,
        "frozen_layers": encoder.config.frozen_layers,
        "weights_sha256": encoder.config.weights_sha256,
        "load_average": os.getloadavg(),
    }
    for key, value in record.items():
        print(f"{key}: {value}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
