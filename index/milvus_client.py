"""Connecting to Milvus: URIs, the shared ``MilvusClient``, and one-line errors.

One ``pymilvus.MilvusClient`` code path reaches both engines: Milvus Lite (a
URI that is a path ending in ``.db``, embedded in this process; the default is
``milvus.db`` inside the index directory) and a Milvus server
(``http://host:19530``, standalone or cluster). A server that refuses the
connection fails at once; one that does not answer fails after
``CONNECT_TIMEOUT_S``. Milvus Lite allows one process per database: a second
process gets an error that says so.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import threading
from pathlib import Path

from seedqa.index.errors import InvalidSetting, StoreUnavailable

MILVUS_URI_ENV = "SEEDQA_MILVUS_URI"
MILVUS_TOKEN_ENV = "SEEDQA_MILVUS_TOKEN"
#: The default Milvus Lite database, relative to the index directory.
LITE_FILE = "milvus.db"
CONNECT_TIMEOUT_S = 10.0
_SERVER_SCHEMES = ("http://", "https://", "tcp://", "unix:")
_clients: dict[tuple[str, str], object] = {}
_clients_lock = threading.Lock()

for _name in ("pymilvus", "milvus_lite", "grpc"):  # errors reach users as our one-line messages
    logging.getLogger(_name).setLevel(logging.CRITICAL)


def is_server_uri(uri: str) -> bool:
    """True for a Milvus server URI, False for a Milvus Lite database path."""
    return uri.startswith(_SERVER_SCHEMES)


def check_uri(uri: str) -> None:
    """Raise ``InvalidSetting`` unless ``uri`` is a server URI or a path ending in ``.db``."""
    if not is_server_uri(uri) and not uri.endswith(".db"):
        raise InvalidSetting(
            f"--milvus-uri {uri!r} is not valid; use http://HOST:PORT for a Milvus server "
            "or a path ending in .db for a Milvus Lite database"
        )


def resolve_uri(uri: str, index_dir: Path) -> str:
    """A Lite path relative to the index directory becomes absolute; server URIs stay."""
    if is_server_uri(uri):
        return uri
    path = Path(uri).expanduser()
    return str(path if path.is_absolute() else (Path(index_dir) / path).resolve())


def default_collection(index_dir: Path) -> str:
    """The collection an index directory owns by default: ``seedqa_`` + a hash of its path."""
    digest = hashlib.sha1(str(Path(index_dir).resolve()).encode("utf-8")).hexdigest()
    return f"seedqa_{digest[:12]}"


def _lite_in_use(path: str) -> bool:
    """True when another process holds the Milvus Lite database's lock."""
    lock = Path(path) / "LOCK"
    if not lock.exists():
        return False
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def unavailable(uri: str, error: Exception) -> StoreUnavailable:
    """Turn a pymilvus failure on ``uri`` into a one-line ``StoreUnavailable``."""
    reason = getattr(error, "message", None) or str(error) or type(error).__name__
    if is_server_uri(uri):
        return StoreUnavailable(
            f"cannot reach Milvus at {uri} ({reason.splitlines()[0]}); start the server "
            "(see deploy/milvus/) or pass the right --milvus-uri / --milvus-token"
        )
    if _lite_in_use(uri):
        return StoreUnavailable(
            f"the Milvus Lite database {uri} is open in another process (Milvus Lite allows "
            "one process per database); stop that process (e.g. a running `seedqa chat`) "
            "or use a Milvus server (--milvus-uri http://HOST:19530)"
        )
    return StoreUnavailable(
        f"cannot open the Milvus Lite database {uri} ({reason.splitlines()[0]}); "
        "check the path, or rebuild with `seedqa index --store milvus --rebuild`"
    )


def engine_failed(uri: str, error: Exception) -> StoreUnavailable:
    """Turn a pymilvus failure during an operation on ``uri`` into a one-line error."""
    reason = getattr(error, "message", None) or str(error) or type(error).__name__
    return StoreUnavailable(
        f"Milvus at {uri} failed: {reason.splitlines()[0]}; check that it is running, "
        "or rebuild the index with `seedqa index --rebuild`"
    )


def connect(uri: str, token: str = "", timeout: float = CONNECT_TIMEOUT_S):
    """Return a ``MilvusClient`` for ``uri`` (shared per URI and token in this process).

    Raises ``StoreUnavailable`` with a one-line message naming the URI when the
    server cannot be reached or the Lite database cannot be opened.
    """
    check_uri(uri)
    key = (uri, token)
    with _clients_lock:
        if key in _clients:
            return _clients[key]
        if not is_server_uri(uri) and not Path(uri).parent.is_dir():
            raise StoreUnavailable(
                f"cannot create the Milvus Lite database {uri}: folder {Path(uri).parent} "
                "does not exist; create it or pass another --milvus-uri"
            )
        try:
            from pymilvus import MilvusClient
        except ImportError as error:
            raise StoreUnavailable(
                "the Milvus store needs the milvus extra; install it with "
                "`pip install 'seedqa[milvus]'` (or `make setup`)"
            ) from error
        try:
            client = MilvusClient(uri=uri, token=token, timeout=timeout)
        except Exception as error:  # pymilvus raises several unrelated types here
            raise unavailable(uri, error) from error
        _clients[key] = client
        return client
