"""Milvus as the vector store: one collection per index, its rows versioned by generation.

The connection (Milvus Lite or a server, one code path) is made by
``index.milvus_client``.

Each row is one incarnation of a chunk:

==========  ==========================================================
``pk``      ``<chunk_id>@<born>``
``chunk_id``  the content-hashed chunk id (``Chunk.chunk_id``)
``vector``  the chunk's unit embedding (HNSW, inner product)
``terms``   the chunk's BM25 terms as analysed by seedqa (``index.terms``);
            Milvus's BM25 function turns them into ``sparse``
``born``    the generation in which the row became visible
``died``    the generation in which it stopped being visible (``ALIVE``)
==========  ==========================================================

A reader of generation ``g`` filters on ``born <= g and died > g`` and so
sees exactly the chunks of that generation. A build of generation ``g + 1``
(under the index's build lock) first undoes what an interrupted build left
behind and deletes rows that neither the live nor the previous generation
can see, then inserts the new chunks (``born = g + 1``) and closes the
removed ones (``died = g + 1``): only changed chunks are written. Until the
manifest naming ``g + 1`` is made live, readers of ``g`` see nothing of it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from seedqa.index.errors import IndexCorrupt, IndexMismatch, SeedqaError
from seedqa.index.milvus_client import connect, engine_failed, unavailable
from seedqa.index.vectors import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M

#: ``died`` of a row that is still alive.
ALIVE = 2**62
#: bm25s's defaults, so that both stores score alike (Milvus's own default k1 is 1.2).
BM25_K1, BM25_B = 1.5, 0.75
#: Milvus returns at most this many hits per search.
MAX_LIMIT = 16_384
_BATCH = 2_000
_ID_BATCH = 1_000
_TERMS_MAX_BYTES = 65_535


def generation_filter(generation: int) -> str:
    """The filter that shows exactly the rows of ``generation``."""
    return f"born <= {int(generation)} and died > {int(generation)}"


def _quoted(ids: Sequence[str]) -> str:
    return "[" + ", ".join(f'"{i}"' for i in ids) + "]"


def _clip_terms(terms: str) -> str:
    """Keep the terms under Milvus's VARCHAR limit (bytes), cutting at a term boundary."""
    data = terms.encode("utf-8")
    if len(data) <= _TERMS_MAX_BYTES:
        return terms
    return data[:_TERMS_MAX_BYTES].decode("utf-8", "ignore").rsplit(" ", 1)[0]


def _schema_and_indexes(client, dimension: int):
    from pymilvus import DataType, Function, FunctionType, MilvusClient

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=96)
    schema.add_field("chunk_id", DataType.VARCHAR, max_length=64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    schema.add_field(
        "terms",
        DataType.VARCHAR,
        max_length=_TERMS_MAX_BYTES,
        enable_analyzer=True,
        analyzer_params={"tokenizer": "standard"},
    )
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("born", DataType.INT64)
    schema.add_field("died", DataType.INT64)
    schema.add_function(
        Function(
            name="terms_bm25",
            function_type=FunctionType.BM25,
            input_field_names=["terms"],
            output_field_names=["sparse"],
        )
    )
    indexes = client.prepare_index_params()
    indexes.add_index(
        field_name="vector",
        index_type="HNSW",
        metric_type="IP",
        params={"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION},
    )
    indexes.add_index(
        field_name="sparse",
        index_type="SPARSE_INVERTED_INDEX",
        metric_type="BM25",
        params={"bm25_k1": BM25_K1, "bm25_b": BM25_B},
    )
    return schema, indexes


@dataclass(frozen=True)
class DenseHits:
    """Chunk ids and inner-product scores of one dense search, best first."""

    chunk_ids: list[str]
    scores: np.ndarray


def _engine_call(method: Callable) -> Callable:
    """Report any failure of the engine inside ``method`` as one ``StoreUnavailable`` line."""

    @functools.wraps(method)
    def call(self: MilvusCollection, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except SeedqaError:
            raise
        except Exception as error:  # pymilvus and grpc raise many unrelated types
            raise engine_failed(self.uri, error) from error

    return call


class MilvusCollection:
    """One seedqa collection in Milvus: generation-aware writes (builds) and reads.

    Example:
        >>> collection = MilvusCollection.open("/tmp/x/milvus.db", "docs", dimension=384,
        ...                                    create=True)  # doctest: +SKIP
        >>> generation = collection.begin(live=None, previous=None)  # doctest: +SKIP
        >>> collection.add(generation, ["c1"], vectors, ["xiaomi invest"])  # doctest: +SKIP
        >>> collection.finish()  # doctest: +SKIP

    """

    def __init__(self, client, name: str, uri: str) -> None:
        self.client = client
        self.name = name
        self.uri = uri

    @classmethod
    def open(
        cls,
        uri: str,
        name: str,
        *,
        token: str = "",
        dimension: int | None = None,
        create: bool = False,
    ) -> MilvusCollection:
        """Connect and load collection ``name`` (creating it when ``create``).

        Raises ``StoreUnavailable`` when Milvus cannot be reached, ``IndexCorrupt``
        when the collection is missing, and ``IndexMismatch`` when it holds vectors
        of another dimension.
        """
        client = connect(uri, token)
        try:
            exists = client.has_collection(name)
            if not exists and not create:
                raise IndexCorrupt(
                    f"collection {name} is missing from Milvus at {uri}; rebuild the index "
                    "with `seedqa index --rebuild`"
                )
            if not exists:
                schema, indexes = _schema_and_indexes(client, int(dimension or 0))
                client.create_collection(
                    name, schema=schema, index_params=indexes, consistency_level="Strong"
                )
            collection = cls(client, name, uri)
            collection._check(dimension)
            client.load_collection(name)
        except SeedqaError:
            raise
        except Exception as error:
            raise unavailable(uri, error) from error
        return collection

    def _check(self, dimension: int | None) -> None:
        fields = {f["name"]: f for f in self.client.describe_collection(self.name)["fields"]}
        missing = {"pk", "chunk_id", "vector", "terms", "sparse", "born", "died"} - set(fields)
        if missing:
            raise IndexMismatch(
                f"collection {self.name} in Milvus at {self.uri} was not made by seedqa "
                f"(no {', '.join(sorted(missing))}); pass another --milvus-collection"
            )
        found = int(fields["vector"].get("params", {}).get("dim", 0))
        if dimension is not None and found != dimension:
            raise IndexMismatch(
                f"collection {self.name} in Milvus at {self.uri} holds {found}-d vectors, not "
                f"{dimension}-d; rebuild with `seedqa index --rebuild` or pass another "
                "--milvus-collection"
            )

    # ------------------------------------------------------------------ writes (builds)

    @_engine_call
    def begin(self, live: int | None, previous: int | None) -> int:
        """Prepare a build over the ``live`` generation; return the new generation number.

        Undoes an interrupted build (rows born after ``live``, rows it closed) and
        deletes rows that neither ``live`` nor ``previous`` can see. With no live
        generation the collection is emptied: an index directory owns its collection.
        """
        live_number = int(live or 0)
        self.client.delete(self.name, filter=f"born > {live_number}")
        reopen = self._rows(f"died > {live_number} and died < {ALIVE}")
        if reopen:
            self._upsert([{**row, "died": ALIVE} for row in reopen])
        garbage = f"died <= {live_number}"
        if previous:
            garbage += f" and (born > {int(previous)} or died <= {int(previous)})"
        self.client.delete(self.name, filter=garbage)
        return live_number + 1

    @_engine_call
    def add(
        self, generation: int, chunk_ids: Sequence[str], vectors: np.ndarray, terms: Sequence[str]
    ) -> None:
        """Insert chunks that become visible in ``generation``."""
        vectors = np.asarray(vectors, dtype=np.float32)
        rows = [
            {
                "pk": f"{chunk_id}@{generation}",
                "chunk_id": chunk_id,
                "vector": vectors[i],
                "terms": _clip_terms(terms[i]),
                "born": int(generation),
                "died": ALIVE,
            }
            for i, chunk_id in enumerate(chunk_ids)
        ]
        self._upsert(rows)

    @_engine_call
    def remove(self, generation: int, chunk_ids: Sequence[str]) -> None:
        """Close the live rows of ``chunk_ids``: invisible from ``generation`` on."""
        for start in range(0, len(chunk_ids), _ID_BATCH):
            ids = chunk_ids[start : start + _ID_BATCH]
            rows = self._rows(f"chunk_id in {_quoted(ids)} and died == {ALIVE}")
            self._upsert([{**row, "died": int(generation)} for row in rows])

    @_engine_call
    def finish(self) -> None:
        """Seal what was written so that it is indexed and durable."""
        self.client.flush(self.name)

    @_engine_call
    def drop(self) -> None:
        """Delete the whole collection."""
        self.client.drop_collection(self.name)

    def _rows(self, expression: str) -> list[dict]:
        """Whole rows (as written, without the engine's ``sparse`` output) matching a filter."""
        fields = ["pk", "chunk_id", "vector", "terms", "born", "died"]
        rows = self.client.query(self.name, filter=expression, output_fields=fields)
        return [{name: row[name] for name in fields} for row in rows]

    def _upsert(self, rows: list[dict]) -> None:
        # Whole-row upserts: partial updates need Milvus 2.6, whole rows work on 2.5 too.
        for start in range(0, len(rows), _BATCH):
            self.client.upsert(self.name, rows[start : start + _BATCH])

    # ------------------------------------------------------------------ reads

    @_engine_call
    def search_vectors(self, generation: int, queries: np.ndarray, limit: int) -> list[DenseHits]:
        """The ``limit`` nearest chunks of ``generation`` to each query (inner product)."""
        limit = max(1, min(limit, MAX_LIMIT))
        results = self.client.search(
            self.name,
            data=[np.asarray(q, dtype=np.float32).tolist() for q in np.atleast_2d(queries)],
            anns_field="vector",
            limit=limit,
            filter=generation_filter(generation),
            search_params={"metric_type": "IP", "params": {"ef": max(HNSW_EF_SEARCH, limit)}},
            output_fields=["chunk_id"],
        )
        return [
            DenseHits(
                [hit["entity"]["chunk_id"] for hit in hits],
                np.array([hit["distance"] for hit in hits], dtype=np.float32),
            )
            for hits in results
        ]

    @_engine_call
    def search_terms(self, generation: int, terms: str, limit: int) -> dict[str, float]:
        """BM25 scores of the best ``limit`` chunks for the (analysed) query ``terms``.

        Scores are Milvus's BM25 divided by ``k1 + 1``, the scale bm25s reports
        (same ranking); Milvus Lite returns them negated, so the sign is dropped.
        """
        if not terms.strip():
            return {}
        results = self.client.search(
            self.name,
            data=[terms],
            anns_field="sparse",
            limit=max(1, min(limit, MAX_LIMIT)),
            filter=generation_filter(generation),
            search_params={"metric_type": "BM25"},
            output_fields=["chunk_id"],
        )
        return {
            hit["entity"]["chunk_id"]: abs(hit["distance"]) / (BM25_K1 + 1) for hit in results[0]
        }

    @_engine_call
    def vectors(self, generation: int, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of ``chunk_ids`` in ``generation``."""
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(chunk_ids), _ID_BATCH):
            ids = chunk_ids[start : start + _ID_BATCH]
            rows = self.client.query(
                self.name,
                filter=f"chunk_id in {_quoted(ids)} and {generation_filter(generation)}",
                output_fields=["chunk_id", "vector"],
            )
            found.update({row["chunk_id"]: np.asarray(row["vector"], np.float32) for row in rows})
        return found

    @_engine_call
    def count(self, generation: int) -> int:
        """Number of chunks visible in ``generation``."""
        rows = self.client.query(
            self.name, filter=generation_filter(generation), output_fields=["count(*)"]
        )
        return int(rows[0]["count(*)"])
