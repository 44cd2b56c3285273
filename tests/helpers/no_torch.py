"""Python code, run before a subprocess's own code, that makes torch and transformers unimportable.

``subprocess.run([sys.executable, "-c", BLOCK_TORCH + code])`` proves that
``code`` runs on a machine without the [train] extra.
"""

#: Python code that makes ``import torch`` and ``import sentence_transformers`` fail.
BLOCK_TORCH = """
import importlib.abc, sys
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"torch", "sentence_transformers", "transformers"}:
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None
sys.meta_path.insert(0, _Block())
"""
