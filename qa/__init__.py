"""seedqa's question answering: hybrid retrieval and cited extractive answers.

>>> from qa import Retriever, Assistant
"""

from seedqa.qa.answer import Answer, Assistant, Citation, InvalidQuestion
from seedqa.qa.retriever import Hit, Retriever

__all__ = ["Answer", "Assistant", "Citation", "Hit", "InvalidQuestion", "Retriever"]
