"""Which checksum should the manifest record? xxHash against BLAKE2 on a 1M-chunk index.

Writes files the size of a one-million-chunk index generation (the per-chunk
sizes are those of the SciFact index: chunks.jsonl 755 B, vectors.faiss
1,536 B for 384-d float32, bm25/ 408 B) under a scratch folder, then times
each checksum over all of them, reading in 8 MiB blocks as
``seedqa.index.integrity`` does, with the files in the page cache (warm, best
of ``--repeats``). SHA-256 is the baseline measured in the same run.

    python eval/bench_checksums.py [--chunks 1000000] [--scratch DIR] [--json OUT]

Prints one line per algorithm (seconds for the whole index, GB/s) and the
load average; ``--json`` writes the same figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import xxhash

BLOCK = 8 * 1024 * 1024
#: Bytes per chunk of each file of a generation, measured on the SciFact index (14,375 chunks).
PER_CHUNK = {"chunks.jsonl": 755, "vectors.faiss": 1536, "bm25/data.csc.index.npy": 182,
             "bm25/indices.csc.index.npy": 182, "bm25/vocab.index.json": 44}  # fmt: skip

ALGORITHMS: dict[str, Callable[[], object]] = {
    "xxh3_64": xxhash.xxh3_64,
    "xxh3_128": xxhash.xxh3_128,
    "xxh64": xxhash.xxh64,
    "blake2b": hashlib.blake2b,
    "blake2s": hashlib.blake2s,
    "sha256 (baseline)": hashlib.sha256,
}


def make_files(folder: Path, chunks: int) -> list[Path]:
    """Write random files of a ``chunks``-chunk generation into ``folder``."""
    rng = np.random.default_rng(0)
    paths = []
    for name, per_chunk in PER_CHUNK.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        remaining = per_chunk * chunks
        with open(path, "wb") as handle:
            while remaining:
                size = min(remaining, 64 * 1024 * 1024)
                handle.write(rng.integers(0, 256, size, dtype=np.uint8).tobytes())
                remaining -= size
        paths.append(path)
    return paths


def hash_files(paths: list[Path], factory: Callable[[], object]) -> float:
    """Seconds to checksum every file, reading in ``BLOCK`` pieces."""
    started = time.perf_counter()
    for path in paths:
        digest = factory()
        with open(path, "rb") as handle:
            while block := handle.read(BLOCK):
                digest.update(block)  # type: ignore[attr-defined]
        digest.hexdigest()  # type: ignore[attr-defined]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--scratch", type=Path, default=Path("/work/scratch/reliability/checksums"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the scratch files")
    args = parser.parse_args()
    args.scratch.mkdir(parents=True, exist_ok=True)
    try:
        paths = make_files(args.scratch, args.chunks)
        total = sum(p.stat().st_size for p in paths)
        hash_files(paths, xxhash.xxh3_64)  # warm the page cache
        results = {}
        for name, factory in ALGORITHMS.items():
            seconds = min(hash_files(paths, factory) for _ in range(args.repeats))
            rate = total / seconds / 1e9
            results[name] = {"seconds": round(seconds, 3), "gb_per_s": round(rate, 2)}
            print(f"{name:18} {seconds:7.2f} s  {rate:6.2f} GB/s", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(args.scratch, ignore_errors=True)
    load = os.getloadavg()
    print(f"{args.chunks:,} chunks = {total / 1e9:.2f} GB of index files; load average "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")  # fmt: skip
    if args.json:
        report = {"chunks": args.chunks, "bytes": total, "loadavg": load, "results": results}
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
