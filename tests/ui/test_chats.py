"""ui.chats: the conversations kept in the browser, as pure functions over plain JSON."""

from __future__ import annotations

from seedqa.ui import chats


def turn(question: str, answer: str = "A.", error: bool = False) -> dict:
    record = {"id": chats.new_id(), "question": question, "html": f"<div>{answer}</div>"}
    return {**record, "error": "boom"} if error else {**record, "answer": answer}


def test_damaged_or_missing_stores_become_empty():
    for bad in (None, "x", {"chats": "no"}, {"chats": [{"id": 3}], "active": "z"}):
        assert chats.normalise(bad) == chats.empty_store()
    kept = chats.normalise({"chats": [{"id": "a", "turns": []}], "active": "missing"})
    assert kept["active"] == "a"


def test_turns_history_titles_and_order():
    store = chats.add_turn(chats.empty_store(), turn("How much will Xiaomi invest?", "$7bn."))
    first = chats.active_chat(store)
    assert first["title"] == "How much will Xiaomi invest?"
    store = chats.add_turn(store, turn("Broken?", error=True))
    follow = turn("And over what period?")
    store = chats.add_turn(store, follow)
    assert chats.history(store) == [
        {"question": "How much will Xiaomi invest?", "answer": "$7bn."},
        {"question": "And over what period?", "answer": "A."},
    ]  # the failed turn is not history
    assert chats.history(store, before=follow["id"]) == chats.history(store)[:1]
    assert [m["role"] for m in chats.messages(store, str)] == ["user", "assistant"] * 3

    store = chats.start_chat(store)
    assert chats.start_chat(store) == store  # an empty chat is reused
    store = chats.add_turn(store, turn("Second chat"))
    assert [title for title, _ in chats.choices(store)] == [
        "Second chat", "How much will Xiaomi invest?",
    ]  # fmt: skip
    store = chats.select(store, first["id"])
    assert chats.turns(store)[0]["question"] == "How much will Xiaomi invest?"
    replaced = chats.replace_turn(store, follow["id"], {**follow, "answer": "Five years."})
    assert chats.find_turn(replaced, follow["id"])["answer"] == "Five years."
    assert chats.find_turn(store, follow["id"])["answer"] == "A."  # the input is unchanged

    store = chats.delete_active(store)
    assert [title for title, _ in chats.choices(store)] == ["Second chat"]
    assert chats.turns(chats.clear_active(store)) == []


def test_old_chats_and_turns_are_capped():
    store = chats.empty_store()
    for i in range(chats.MAX_CHATS + 5):
        store = chats.add_turn(chats.start_chat(store), turn(f"q{i}"))
    assert len(store["chats"]) == chats.MAX_CHATS
    assert chats.choices(store)[0][0] == f"q{chats.MAX_CHATS + 4}"
    for i in range(chats.MAX_TURNS + 3):
        store = chats.add_turn(store, turn(f"t{i}"))
    assert len(chats.turns(store)) == chats.MAX_TURNS


def test_the_store_is_kept_small_enough_for_browser_storage(monkeypatch):
    monkeypatch.setattr(chats, "MAX_STORE_CHARS", 5_000)
    store = chats.empty_store()
    for i in range(20):
        store = chats.add_turn(chats.start_chat(store), turn(f"q{i}", "x" * 1_000))
    assert 1 < len(store["chats"]) <= 5
    assert chats.choices(store)[0][0] == "q19"  # the newest are kept
