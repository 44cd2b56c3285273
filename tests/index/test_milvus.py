"""The Milvus adapter against a real Milvus Lite engine: connections, errors, generations."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from seedqa.index.errors import IndexCorrupt, IndexMismatch, InvalidSetting, StoreUnavailable
from seedqa.index.milvus import ALIVE, MilvusCollection
from seedqa.index.milvus_client import connect, default_collection
from seedqa.index.milvus_store import update_collection
from seedqa.index.records import Chunk

DIM = 8


def chunk(name: str) -> Chunk:
    text = f"{name} text about {name}"
    return Chunk(doc_id=f"{name}.txt", start=0, end=len(text), text=text)


def unit(rows: int, seed: int) -> np.ndarray:
    data = np.random.default_rng(seed).standard_normal((rows, DIM)).astype(np.float32)
    return data / np.linalg.norm(data, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def lite(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("lite") / "milvus.db")


@pytest.fixture
def collection(lite: str, request) -> MilvusCollection:
    name = "t_" + request.node.name.replace("[", "_").replace("]", "")[:40]
    return MilvusCollection.open(lite, name, dimension=DIM, create=True)


def visible(collection: MilvusCollection, generation: int) -> set[str]:
    rows = collection.client.query(
        collection.name,
        filter=f"born <= {generation} and died > {generation}",
        output_fields=["chunk_id"],
    )
    return {row["chunk_id"] for row in rows}


class TestConnect:
    def test_milvus_lite_starts(self, tmp_path: Path) -> None:
        """The engine every Milvus test needs: when it cannot start, this fails with the reason."""
        uri = str(tmp_path / "start.db")
        try:
            client = connect(uri)
            client.create_collection("started", dimension=DIM)
            client.insert("started", [{"id": 1, "vector": unit(1, 0)[0].tolist()}])
            found = client.query("started", filter="id == 1", output_fields=["id"])
        except Exception as error:  # any failure: report it, never skip
            pytest.fail(f"Milvus Lite cannot start at {uri}: {type(error).__name__}: {error}")
        assert [row["id"] for row in found] == [1]

    def test_refused_server_fails_at_once_naming_the_uri(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        uri = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        with pytest.raises(StoreUnavailable) as caught:
            connect(uri)
        assert time.perf_counter() - started < 5
        message = str(caught.value)
        assert uri in message and "\n" not in message and "--milvus-uri" in message

    def test_silent_server_times_out(self) -> None:
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            uri = f"http://127.0.0.1:{listener.getsockname()[1]}"
            with pytest.raises(StoreUnavailable, match="cannot reach Milvus at"):
                connect(uri, timeout=1.0)

    @pytest.mark.parametrize("uri", ["milvus", "ftp://host/x", "index.txt"])
    def test_invalid_uri_names_the_valid_forms(self, uri: str) -> None:
        with pytest.raises(InvalidSetting, match="http://HOST:PORT"):
            connect(uri)

    def test_lite_file_in_a_missing_folder(self, tmp_path: Path) -> None:
        uri = str(tmp_path / "nope" / "milvus.db")
        with pytest.raises(StoreUnavailable, match="does not exist"):
            connect(uri)

    def test_lite_file_open_in_another_process(self, tmp_path: Path) -> None:
        uri = str(tmp_path / "busy.db")
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys, time; from pymilvus import MilvusClient; "
                f"MilvusClient({uri!r}); print('ready', flush=True); time.sleep(120)",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout.readline().strip() == "ready"
            with pytest.raises(StoreUnavailable) as caught:
                connect(uri)
            assert "another process" in str(caught.value) and uri in str(caught.value)
        finally:
            holder.kill()
            holder.wait()

    def test_default_collection_is_per_directory(self, tmp_path: Path) -> None:
        first, second = default_collection(tmp_path / "a"), default_collection(tmp_path / "b")
        assert first != second and first.startswith("seedqa_")
        assert default_collection(tmp_path / "a") == first


class TestCollection:
    def test_missing_collection_is_reported(self, lite: str) -> None:
        with pytest.raises(IndexCorrupt, match="missing"):
            MilvusCollection.open(lite, "never_made", dimension=DIM)

    def test_other_dimension_is_refused(self, lite: str) -> None:
        MilvusCollection.open(lite, "dim_check", dimension=DIM, create=True)
        with pytest.raises(IndexMismatch, match="8-d vectors, not 16-d"):
            MilvusCollection.open(lite, "dim_check", dimension=16)

    def test_generations_see_only_their_chunks(self, collection: MilvusCollection) -> None:
        a, b, c = chunk("a"), chunk("b"), chunk("c")
        g1 = update_collection(collection, None, None, [], [a, b], unit(2, 1))
        g2 = update_collection(collection, g1, None, [a, b], [a, c], unit(2, 2))
        assert (g1, g2) == (1, 2)
        assert visible(collection, g1) == {a.chunk_id, b.chunk_id}
        assert visible(collection, g2) == {a.chunk_id, c.chunk_id}
        # only the new chunk was written in generation 2
        rows = collection.client.query(collection.name, filter="born == 2", output_fields=["pk"])
        assert [row["pk"] for row in rows] == [f"{c.chunk_id}@2"]

    def test_interrupted_build_is_undone(self, collection: MilvusCollection) -> None:
        a, b, c = chunk("a"), chunk("b"), chunk("c")
        g1 = update_collection(collection, None, None, [], [a, b], unit(2, 1))
        # a build of generation 2 dies half way: it closed b and added c
        g2 = collection.begin(g1, None)
        collection.remove(g2, [b.chunk_id])
        collection.add(g2, [c.chunk_id], unit(1, 3), ["c"])
        assert visible(collection, g1) == {a.chunk_id, b.chunk_id}  # readers of g1 unaffected
        again = collection.begin(g1, None)
        assert again == g2
        assert visible(collection, again) == {a.chunk_id, b.chunk_id}
        died = collection.client.query(collection.name, filter="born >= 0", output_fields=["died"])
        assert {row["died"] for row in died} == {ALIVE}

    def test_garbage_keeps_live_and_previous(self, collection: MilvusCollection) -> None:
        a, b, c, d = chunk("a"), chunk("b"), chunk("c"), chunk("d")
        g1 = update_collection(collection, None, None, [], [a, b], unit(2, 1))
        g2 = update_collection(collection, g1, None, [a, b], [a, c], unit(2, 2))
        g3 = update_collection(collection, g2, g1, [a, c], [a, d], unit(2, 3))
        assert visible(collection, g1) == {a.chunk_id, b.chunk_id}  # previous of g2: kept
        g4 = update_collection(collection, g3, g2, [a, d], [a], unit(1, 4))
        assert visible(collection, g1) == {a.chunk_id}  # neither live nor previous: collected
        assert visible(collection, g2) == {a.chunk_id, c.chunk_id}
        assert visible(collection, g4) == {a.chunk_id}

    def test_readded_chunk_keeps_old_generation_whole(self, collection: MilvusCollection) -> None:
        a, b = chunk("a"), chunk("b")
        g1 = update_collection(collection, None, None, [], [a, b], unit(2, 1))
        g2 = update_collection(collection, g1, None, [a, b], [a], unit(1, 1))
        g3 = update_collection(collection, g2, g1, [a], [a, b], unit(2, 1))
        assert visible(collection, g2) == {a.chunk_id}
        assert visible(collection, g3) == {a.chunk_id, b.chunk_id}

    def test_long_terms_are_clipped(self, collection: MilvusCollection) -> None:
        collection.add(1, ["long"], unit(1, 5), ["word " * 20_000])
        collection.finish()
        assert collection.count(1) == 1
