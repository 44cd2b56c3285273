"""Training code for seedqa's answer-sentence model (``make train-answerer``).

Nothing here is needed to answer questions: the shipped model under
``models/answerer/`` is read by ``seedqa.qa`` with numpy alone. The data
builders (``squad_data``, ``perturb``) import without torch; the trainer needs
the ``[train]`` extra.
"""
