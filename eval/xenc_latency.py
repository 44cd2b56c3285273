"""Ask-time cost of a MiniLM-L6 cross-encoder: N question-sentence pairs through all 6 layers.

Usage: python eval/xenc_latency.py PAIRS.json   (``eval_pairs.json`` of ``training/xenc_pairs.py``)

Runs the ONNX graph main's embedder exports (``index/onnx_export.py``; a
cross-encoder with fine-tuned top layers has the same cost) in ONNX Runtime with
2 threads on batches of 1, 5, 10, 20 and 40 real pairs (7 batches each) and
prints the median and minimum milliseconds, with the load average.
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort
from transformers import AutoTokenizer

from seedqa.index.model_files import read_model_spec
from seedqa.index.onnx_export import cached_onnx_path
from seedqa.training.xenc_model import encode, model_path


def main() -> None:
    """Command-line entry point."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    graph = cached_onnx_path(read_model_spec(model_path()))
    session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
    tokenizer = AutoTokenizer.from_pretrained(model_path())
    pairs = json.loads(open(sys.argv[1], encoding="utf-8").read())

    def run(batch: list[dict]) -> float:
        encoded = [encode(tokenizer, p["question"], p["sentence"], p["previous"])[0] for p in batch]
        ids = np.zeros((len(encoded), max(map(len, encoded))), np.int64)
        mask = np.zeros_like(ids)
        for i, e in enumerate(encoded):
            ids[i, : len(e)] = e
            mask[i, : len(e)] = 1
        started = time.perf_counter()
        session.run(None, {"input_ids": ids, "attention_mask": mask})
        return (time.perf_counter() - started) * 1000

    print("load", os.getloadavg())
    for n in (1, 5, 10, 20, 40):
        times = [run(pairs[i * 40 : i * 40 + n]) for i in range(1, 8)]
        print(f"{n} pairs: median {np.median(times):.0f} ms, min {min(times):.0f} ms")
    print("load", os.getloadavg())


if __name__ == "__main__":
    main()
