"""The manifest's store record: written for every index, optional when read (older indexes)."""

from __future__ import annotations

import json

from seedqa.index.manifest import Manifest, StoreSettings

BASE = {
    "embedder": "all-MiniLM-L6-v2",
    "dimension": 384,
    "precision": "bf16",
    "chunk_tokens": 160,
    "overlap_tokens": 32,
    "vector_index": "flat",
    "sources": ["/docs"],
    "format_version": 1,
}


def test_manifest_without_store_is_faiss() -> None:
    manifest = Manifest.from_json(json.dumps(BASE))
    assert manifest.store == StoreSettings("faiss")


def test_store_round_trips() -> None:
    store = StoreSettings("milvus", "http://db:19530", "seedqa_docs", generation=7, previous=6)
    manifest = Manifest.from_json(json.dumps({**BASE, "vector_index": "milvus-hnsw"}))
    text = Manifest(**{**manifest.__dict__, "store": store}).to_json()
    assert Manifest.from_json(text).store == store
    assert "token" not in json.loads(text)["store"]


def test_same_place_ignores_generations() -> None:
    one = StoreSettings("milvus", "milvus.db", "c", generation=1)
    assert one.same_place(StoreSettings("milvus", "milvus.db", "c", generation=5, previous=4))
    assert not one.same_place(StoreSettings("milvus", "other.db", "c"))
    assert not one.same_place(None)
