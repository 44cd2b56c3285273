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

#: Three read-only documents for retrieval and answers (``qa_corpus``; the reliability suite).
QA_CORPUS = {
    "volcanoes.md": (
        "# Volcanoes of Iceland\n\n"
        "Iceland has about 130 volcanic mountains. Hekla erupted in the year 1104 and "
        "buried farms under ash.\n\n"
        "Eyjafjallajokull erupted in 2010 and its ash cloud grounded flights across Europe "
        "for six days.\n"
    ),
    "bread.txt": (
        "Sourdough bread\n\n"
        "Sourdough is leavened by a starter of wild yeast and lactic acid bacteria. "
        "A starter is fed with equal weights of flour and water every day.\n\n"
        "The dough rests for twelve hours before it is baked at 250 degrees Celsius.\n"
    ),
    "chess.txt": (
        "The history of chess\n\n"
        "Chess reached Europe through Persia and the Arab world. The modern queen move "
        "appeared in Spain around 1475.\n\n"
        "Garry Kasparov lost a match to the computer Deep Blue in 1997.\n"
    ),
}

#: Two short documents for the trained answerers' tests (``answer_corpus``; written for
#: those tests only, in no training or development set).
ANSWER_CORPUS = {
    "glaciers.txt": (
        "Glacier survey 2023\n\n"
        "Alpine glaciers lost a tenth of their ice volume in two summers. "
        "Researchers surveyed the Morteratsch glacier with drones and radar.\n\n"
        "Meltwater feeds rivers that power hydroelectric dams downstream. "
        "Less ice means lower river flows late in the summer.\n"
    ),
    "bakery.md": (
        "# Corner Bakery opening times\n\n"
        "The bakery opens at 7:00 on weekdays and at 8:30 on Saturdays. "
        "It is closed on Sundays.\n\n"
        "A sourdough loaf costs 4 euros, and croissants are sold until noon.\n"
    ),
}
