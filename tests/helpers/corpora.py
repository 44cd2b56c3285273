"""Small corpora that several test modules build indexes from."""

#: Three short documents on unrelated topics (the ``editable_corpus`` fixture's files).
EDITABLE_CORPUS = {
    "alpha.txt": (
        "Glacier retreat in the Alps\n\n"
        "Alpine glaciers lost a tenth of their ice volume in two summers. "
        "Researchers surveyed the Morteratsch glacier with drones and radar.\n\n"
        "Meltwater feeds rivers that power hydroelectric dams downstream. "
        "Less ice means lower river flows late in the summer.\n"
    ),
    "beta.md": (
        "# Zeppelin freight\n\n"
        "A startup plans to carry freight across the Arctic by zeppelin. "
        "The airship would need no runways and would burn little fuel.\n\n"
        "Critics doubt that helium supplies can keep up with demand.\n"
    ),
    "gamma.txt": (
        "Sourdough baking\n\n"
        "A sourdough starter is a culture of wild yeast and lactobacilli. "
        "Bakers feed it flour and water every day.\n\n"
        "Long fermentation gives the bread its sour taste and open crumb.\n"
    ),
}
