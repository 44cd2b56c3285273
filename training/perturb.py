"""Near-miss questions: change one specific of a question so its answer sentence no longer answers.

A year, a figure, a name or a key noun of the question is replaced with one that
its article never mentions ("net profit" for "revenue", 2017 for 2019, another
company). The answer sentence still shares most of the question's words, which
is exactly what users' near-miss questions look like, and what SQuAD v1.1 lacks.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

_YEAR = re.compile(r"\b(1[5-9]\d\d|20[0-4]\d)\b")
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*)(?![\w.])")
_CAPITALISED_RUN = re.compile(r"(?<!^)(?<![.?!]\s)\b([A-Z][a-z]+(?:\s+(?:of\s+)?[A-Z][a-z]+)*)\b")
_WORD = re.compile(r"[A-Za-z][a-z]+")
_DETERMINED_NOUN = re.compile(r"\b(?:the|a|an|its|their|his|her|of)\s+([a-z]{4,})\b(?!\s+of\b)")

NUMBER_WORDS = (
    "two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty "
    "fifty hundred".split()
)

#: Groups of words that share a context but not a meaning: swapping one for another keeps a
#: question fluent and close to its text while asking something else.
SWAP_GROUPS: tuple[tuple[str, ...], ...] = tuple(
    tuple(group.split(","))
    for group in (
        "revenue,profit,debt,net income,losses,budget,salary,tax,dividend,market value",
        "population,area,size,height,length,width,depth,weight,capacity,temperature",
        "born,died,married,elected,arrested,retired,buried,baptized",
        "founded,dissolved,renamed,sold,closed,merged,acquired,bankrupt",
        "built,demolished,rebuilt,abandoned,bombed,flooded,renovated",
        "first,last,fifth,second,third,final",
        "largest,smallest,oldest,newest,tallest,shortest,longest,cheapest,richest,poorest",
        "north,south,east,west,northern,southern,eastern,western",
        "president,vice president,mayor,governor,king,queen,prime minister,chancellor,treasurer",
        "captain,coach,manager,director,founder,chairman,secretary,spokesman,owner",
        "father,mother,son,daughter,brother,sister,wife,husband,uncle,grandmother",
        "won,lost,cancelled,boycotted,postponed",
        "increase,decrease,doubling,collapse,freeze",
        "winter,summer,spring,autumn",
        "morning,evening,night,afternoon",
        "monday,tuesday,wednesday,thursday,friday,saturday,sunday",
        "january,february,march,april,june,july,august,september,october,november,december",
        "students,teachers,employees,members,players,fans,soldiers,visitors,residents,voters",
        "river,lake,mountain,island,bridge,airport,harbour,railway station,stadium,castle",
        "city,country,province,village,county,district,region",
        "church,mosque,temple,cathedral,monastery,synagogue",
        "army,navy,air force,police,militia",
        "school,university,hospital,museum,library,prison,factory",
        "novel,poem,opera,symphony,painting,sculpture,film,album",
        "gold,silver,copper,iron,coal,oil,gas,uranium",
        "invented,discovered,patented,banned,abolished,legalized",
        "exports,imports,tourism,agriculture,unemployment,inflation",
        "emissions,rainfall,snowfall,pollution,humidity",
        "price,cost,fee,fine,rent,wage",
        "language,religion,currency,anthem,flag,motto",
        "cat,dog,horse,cow,sheep,wolf,bear,eagle",
        "wheat,rice,maize,barley,potatoes,cotton,tea,coffee",
        "war,treaty,election,revolution,strike,famine,plague,earthquake",
        "invaded,defended,surrendered,liberated,annexed,occupied",
        "wrote,translated,published,censored,burned",
        "hours,days,weeks,months,years,decades",
    )
)
_SWAPS = {word: group for group in SWAP_GROUPS for word in group}

STOPWORDS = frozenset(
    """a an the of in on at to for from by with and or but is are was were be been being do does
    did what which who whom whose when where why how many much that this these those it its
    their his her they he she we you i as into than then there about after before over under
    also not no yes can could would should may might will shall has have had one other such
    some any all most more less each both between during through while where""".split()
)

KINDS = ("year", "figure", "name", "noun")


@dataclass(frozen=True)
class Perturbation:
    """A question rewritten so that its text no longer answers it."""

    question: str
    kind: str
    original: str
    replacement: str


def _absent(candidate: str, article_lower: str) -> bool:
    return re.search(rf"\b{re.escape(candidate.lower())}\b", article_lower) is None


def _replace(question: str, start: int, end: int, replacement: str) -> str:
    return question[:start] + replacement + question[end:]


def _perturb_year(question: str, article_lower: str, rng: random.Random) -> Perturbation | None:
    matches = list(_YEAR.finditer(question))
    if not matches:
        return None
    match = rng.choice(matches)
    year = int(match.group(1))
    offsets = [d for d in range(-15, 16) if d]
    rng.shuffle(offsets)
    for offset in offsets:
        candidate = str(year + offset)
        if _absent(candidate, article_lower):
            new = _replace(question, match.start(1), match.end(1), candidate)
            return Perturbation(new, "year", match.group(1), candidate)
    return None


def _perturb_figure(question: str, article_lower: str, rng: random.Random) -> Perturbation | None:
    matches = [m for m in _NUMBER.finditer(question) if not _YEAR.fullmatch(m.group(1))]
    words = [
        m for m in re.finditer(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", question, re.IGNORECASE)
    ]
    if matches:
        match = rng.choice(matches)
        digits = match.group(1).replace(",", "")
        try:
            value = float(digits)
        except ValueError:
            return None
        for factor in rng.sample([2, 3, 4, 5, 0.5, 1.5, 10, 7, 0.25], 9):
            new_value = value * factor
            text = f"{new_value:g}" if "." in digits else f"{int(round(new_value)):,}"
            if text != match.group(1) and _absent(text, article_lower):
                new = _replace(question, match.start(1), match.end(1), text)
                return Perturbation(new, "figure", match.group(1), text)
        return None
    if words:
        match = rng.choice(words)
        options = [w for w in NUMBER_WORDS if w != match.group(1).lower()]
        rng.shuffle(options)
        for word in options:
            if _absent(word, article_lower):
                new = _replace(question, match.start(1), match.end(1), word)
                return Perturbation(new, "figure", match.group(1), word)
    return None


def _perturb_name(
    question: str, article_lower: str, names: Sequence[str], rng: random.Random
) -> Perturbation | None:
    matches = [
        m
        for m in _CAPITALISED_RUN.finditer(question)
        if m.group(1).lower() not in STOPWORDS and m.group(1).lower() in article_lower
    ]
    if not matches or not names:
        return None
    match = rng.choice(matches)
    for _ in range(20):
        candidate = rng.choice(names)
        if candidate != match.group(1) and _absent(candidate, article_lower):
            new = _replace(question, match.start(1), match.end(1), candidate)
            return Perturbation(new, "name", match.group(1), candidate)
    return None


def _perturb_noun(
    question: str,
    article_lower: str,
    sentence_lower: str,
    nouns: Sequence[str],
    rng: random.Random,
) -> Perturbation | None:
    words = [
        m
        for m in _WORD.finditer(question)
        if m.group(0).lower() not in STOPWORDS and len(m.group(0)) > 3 and m.start() > 0
    ]
    swappable = [m for m in words if m.group(0).lower() in _SWAPS]
    rng.shuffle(swappable)
    for match in swappable:
        group = [w for w in _SWAPS[match.group(0).lower()] if w != match.group(0).lower()]
        rng.shuffle(group)
        for candidate in group:
            if _absent(candidate, article_lower):
                new = _replace(question, match.start(), match.end(), candidate)
                return Perturbation(new, "noun", match.group(0), candidate)
    # No curated swap: replace a likely noun (after a determiner) that the answer sentence
    # shares with the question by a noun from another article.
    shared = [
        m
        for m in _DETERMINED_NOUN.finditer(question)
        if m.group(1) not in STOPWORDS and m.group(1) in sentence_lower
    ]
    if not shared or not nouns:
        return None
    match = rng.choice(shared)
    for _ in range(20):
        candidate = rng.choice(nouns)
        if candidate != match.group(1) and _absent(candidate, article_lower):
            new = _replace(question, match.start(1), match.end(1), candidate)
            return Perturbation(new, "noun", match.group(1), candidate)
    return None


def perturb_question(
    question: str,
    article: str,
    sentence: str,
    names: Sequence[str],
    nouns: Sequence[str],
    rng: random.Random,
    kinds: Sequence[str] = KINDS,
) -> Perturbation | None:
    """Rewrite one specific of ``question`` with one that ``article`` never mentions.

    ``sentence`` is the question's answer sentence; ``names`` and ``nouns`` are
    pools of replacements taken from other articles. Tries the kinds in a
    random order and returns the first that applies, or None.
    """
    article_lower = article.lower()
    order = list(kinds)
    rng.shuffle(order)
    for kind in order:
        if kind == "year":
            found = _perturb_year(question, article_lower, rng)
        elif kind == "figure":
            found = _perturb_figure(question, article_lower, rng)
        elif kind == "name":
            found = _perturb_name(question, article_lower, names, rng)
        else:
            found = _perturb_noun(question, article_lower, sentence.lower(), nouns, rng)
        if found is not None:
            return found
    return None


def name_pool(questions: Sequence[str]) -> list[str]:
    """Capitalised names (one or more words) used inside ``questions``."""
    found = {
        m.group(1)
        for q in questions
        for m in _CAPITALISED_RUN.finditer(q)
        if m.group(1).lower() not in STOPWORDS and len(m.group(1)) > 2
    }
    return sorted(found)


def noun_pool(questions: Sequence[str]) -> list[str]:
    """Likely nouns of ``questions``: lower-case words after a determiner."""
    found = set()
    for q in questions:
        for m in _DETERMINED_NOUN.finditer(q):
            if m.group(1) not in STOPWORDS:
                found.add(m.group(1))
    return sorted(found)
