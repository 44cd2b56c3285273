"""The one request check shared by the CLI, the web chat and the HTTP API (qa/inputs.py)."""

from __future__ import annotations

import pytest

from seedqa.qa.errors import InvalidQuestion, InvalidSetting
from seedqa.qa.inputs import (
    MAX_K,
    MAX_QUESTION_CHARS,
    check_history,
    check_k,
    clean_text,
    parse_k,
    strip_escapes,
    validate_request,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\x1b[31mHow much?\x1b[0m", "How much?"),  # SGR colour
        ("\x1b[1;38;5;208mbold orange\x1b[m text", "bold orange text"),
        ("\x1b]0;window title\x07What year?", "What year?"),  # OSC ended by BEL
        ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\ text", "link text"),  # OSC 8 hyperlink
        ("\x1b[2J\x1b[HWho?", "Who?"),  # clear screen, cursor home
        ("\x9b31mC1 form", "C1 form"),  # 8-bit CSI
        ("\x1bPq#0;2;0;0;0\x1b\\sixel", "sixel"),  # DCS string
        ("tab\tand\nnewline\x00nul", "tab and newline nul"),
        ("cafe\u0301", "caf\u00e9"),  # NFC
        ("plain [31m brackets", "plain [31m brackets"),  # not an escape: kept
    ],
)
def test_escape_sequences_are_removed_whole(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean
    assert validate_request(raw).text == clean


def test_strip_escapes_keeps_text_between_sequences() -> None:
    assert strip_escapes("a\x1b[0mb\x1b[1mc") == "abc"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("how \udcff much", r"not valid UTF-8 \(byte 0xff at position 4\)"),  # undecodable argv
        ("x\ud800y", r"lone surrogate \(U\+D800 at position 1\)"),  # JSON "\ud800"
        (b"bad \xc3\x28 utf8", r"not valid UTF-8 \(byte 0xc3 at position 4\)"),
        (None, "must be text, not NoneType"),
        (42, "must be text, not int"),
        ("x" * (MAX_QUESTION_CHARS + 1), "2,001 characters long; the limit is 2,000"),
        ("y" * 10**6, "1,000,000 characters long"),
        ("", "question is empty"),
        ("  \t\n ", "question is empty"),
        ("\x1b[31m\x1b[0m", "question is empty"),
    ],
)
def test_unusable_questions_are_refused_with_one_line(raw: object, message: str) -> None:
    with pytest.raises(InvalidQuestion, match=message) as caught:
        validate_request(raw)
    assert "\n" not in str(caught.value)


def test_valid_utf8_bytes_are_decoded() -> None:
    assert validate_request("Qu\u00e9 pasa?".encode()).text == "Qu\u00e9 pasa?"


def test_long_whitespace_folds_below_the_limit() -> None:
    assert validate_request("a" + " " * 5000 + "b").text == "a b"


@pytest.mark.parametrize("k", [1, 5, MAX_K, 7.0])
def test_whole_k_from_1_to_100_is_accepted(k: object) -> None:
    assert validate_request("q", k=k).k == int(k)  # type: ignore[call-overload]


@pytest.mark.parametrize("k", [0, -1, 101, 1000, 2.7, True, False, "5", None, float("nan")])
def test_any_other_k_is_refused(k: object) -> None:
    with pytest.raises(InvalidSetting, match="use a whole number from 1 to 100$"):
        check_k(k)
    with pytest.raises(InvalidSetting, match="from 1 to 100"):
        validate_request("q", k=k)


def test_parse_k_from_the_command_line() -> None:
    assert parse_k("7") == 7 and parse_k(" 3 ") == 3
    for text in ("0", "2.7", "five", "101", ""):
        with pytest.raises(InvalidSetting, match="from 1 to 100"):
            parse_k(text)


def test_mode_is_checked() -> None:
    with pytest.raises(InvalidSetting, match="hybrid, dense, lexical"):
        validate_request("q", mode="psychic")


def test_history_is_normalised_and_checked() -> None:
    turns = check_history(
        [
            ("First?", "one"),
            {"question": "\x1b[1mSecond?\x1b[0m", "answer": "two \udcff"},
            {"role": "user", "content": "Third?"},
            {"role": "assistant", "content": "three"},
        ]
    )
    assert turns == (
        {"question": "First?", "answer": "one"},
        {"question": "Second?", "answer": "two \ufffd"},
        {"question": "Third?", "answer": "three"},
    )
    assert check_history(None) == ()
    for bad in ("a string", 5, [3], [{"x": 1}], [("a", "b", "c")]):
        with pytest.raises(InvalidSetting, match="history must be a list"):
            check_history(bad)
    with pytest.raises(InvalidQuestion, match="earlier question holds a lone surrogate"):
        check_history([("\ud800", "")])
