"""Counted nouns for the edges' messages (re-exported so ``ui`` need not import ``index``)."""

from seedqa.index.wording import plural

__all__ = ["plural"]
