"""Packaging: installing seedqa adds one import package, ``seedqa``, and nothing generic.

The checkout's top-level folders (``index``, ``qa``, ``ui``, ...) install under
``seedqa`` (``package-dir`` in pyproject.toml). The test installs a copy of the
source with pip, as a user would (without dependencies, into a folder of its
own), and looks at what landed there and what imports from it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: Not part of the source a user installs from: environments, caches, indexes.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", ".seedqa", ".cache", "build", "dist", "*.egg-info", "__pycache__",
    ".pytest_cache", ".ruff_cache", ".hypothesis",
)  # fmt: skip
PROBE = """
import importlib.util, json, sys
sys.path.insert(0, sys.argv[1])
import seedqa
from seedqa import Assistant, Retriever
from seedqa.index.store import load_index
print(json.dumps({
    "seedqa": seedqa.__file__,
    "generic": {name: importlib.util.find_spec(name) is not None for name in ("index", "qa", "ui")},
    "api": [Assistant.__name__, Retriever.__name__],
}))
"""


def test_pip_install_adds_only_the_seedqa_package(tmp_path: Path) -> None:
    source, site = tmp_path / "source", tmp_path / "site"
    shutil.copytree(REPO, source, ignore=NOT_SOURCE)
    install = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    install += ["--no-build-isolation", "--no-compile", "--target", str(site), str(source)]
    done = subprocess.run(install, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr

    installed = {path.name for path in site.iterdir() if not path.name.endswith(".dist-info")}
    assert installed - {"bin"} == {"seedqa"}
    package = site / "seedqa"
    for part in ("index", "qa", "ui", "evaluation"):
        assert (package / part / "__init__.py").is_file(), part
    assert list((package / "seeds").glob("*.txt")), "the default corpus is package data"
    assert (package / "models" / "answerer" / "model.npz").is_file()
    assert (package / "models" / "reader" / "weights.safetensors").is_file()

    probe = [sys.executable, "-c", PROBE, str(site)]
    done = subprocess.run(probe, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert Path(found["seedqa"]).is_relative_to(package)
    assert found["generic"] == {"index": False, "qa": False, "ui": False}
    assert found["api"] == ["Assistant", "Retriever"]
