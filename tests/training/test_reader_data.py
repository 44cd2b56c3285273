"""The reader's training data: candidate groups as the answerer sees them, the document split,
the users'-style batches, and the calibration of the pick weight and threshold."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from seedqa.training import reader_data
from seedqa.training.calibrate_reader import (
    ABSTAIN,
    calibrate,
    picks,
    pooled_threshold,
    threshold_for,
)

DOCS = {
    "kettle.txt": (
        "Brennor kettle leaflet\n\n"
        "The Brennor K2 kettle holds 1.7 litres of water. It boils a full tank in four minutes.\n\n"
        "Descale it every month with citric acid. Never use vinegar, which damages the seals.\n"
    ),
    "ferry.txt": (
        "Skelmor ferries winter timetable\n\n"
        "From November the first ferry leaves Skelmor at 7:15. "
        "The last crossing back departs at 18:40 on weekdays.\n"
    ),
}
ITEMS = [
    {"id": "a-capacity", "question": "how much water fits in it", "answers": ["1.7 litres"],
     "answerable": True, "evidence": ["holds 1.7 litres of water"], "source": "kettle.txt"},
    {"id": "a-first", "question": "when does the earliest boat go in winter", "answers": ["7:15"],
     "answerable": True, "evidence": ["the first ferry leaves Skelmor at 7:15"],
     "source": "ferry.txt"},
    {"id": "nm-weight", "question": "how heavy is the kettle", "answers": [],
     "answerable": False, "evidence": [], "source": "kettle.txt"},
]  # fmt: skip


@pytest.fixture(scope="module")
def groups(tmp_path_factory: pytest.TempPathFactory, embedder) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("reader-data")
    (root / "docs").mkdir()
    for name, text in DOCS.items():
        (root / "docs" / name).write_text(text, encoding="utf-8")
    questions = root / "questions.jsonl"
    questions.write_text("".join(json.dumps(i) + "\n" for i in ITEMS), encoding="utf-8")
    found = reader_data.qa_groups(questions, root / "docs", root / "index", embedder)
    return {g["id"]: g for g in found}


def test_answerable_groups_hold_the_evidence_sentence_labelled_one(groups):
    for qid in ("a-capacity", "a-first"):
        group = groups[qid]
        assert group["answerable"]
        positives = [c for c in group["candidates"] if c["label"] == 1]
        assert positives, group["candidates"]
        item = next(i for i in ITEMS if i["id"] == qid)
        assert all(item["evidence"][0] in c["text"] for c in positives)
        assert all(c["correct"] for c in positives)


def test_candidates_keep_the_scorer_order_and_the_previous_sentence(groups):
    group = groups["a-capacity"]
    positions = [c["position"] for c in group["candidates"]]
    assert positions == sorted(positions)
    scores = [c["score"] for c in group["candidates"]]
    assert scores == sorted(scores, reverse=True)
    boil = next(c for c in group["candidates"] if c["text"].startswith("It boils"))
    assert boil["previous"] == "The Brennor K2 kettle holds 1.7 litres of water."
    assert len(group["candidates"]) <= reader_data.TOP_N + 1


def test_near_miss_groups_have_no_positive(groups):
    group = groups["nm-weight"]
    assert not group["answerable"]
    assert group["candidates"]
    assert all(c["label"] == 0 and not c["correct"] for c in group["candidates"])


def test_documents_split_by_document_and_the_batches_validate():
    batches = sorted(p for p in reader_data.USERS.iterdir() if p.is_dir())
    assert len(batches) >= 20
    split = reader_data.split_documents([reader_data.HANDWRITTEN, *batches])
    seen = [doc for docs in split.values() for _, doc in docs]
    assert len(seen) == len(set(seen))
    assert all(batch != reader_data.HANDWRITTEN for batch, _ in split["heldout"])
    assert len(split["heldout"]) >= 2 * len(batches)
    for batch in batches:
        names = {p.name for p in (batch / "docs").iterdir()}
        for item in reader_data.read_jsonl(batch / "questions.jsonl"):
            assert item["source"] in names, item["id"]
            text = (batch / "docs" / item["source"]).read_text(encoding="utf-8")
            assert item["answerable"] == bool(item["answers"]), item["id"]
            assert all(a in text for a in item["answers"]), item["id"]
            assert all(e in text for e in item["evidence"]), item["id"]


def _synthetic(answerable: bool, right_first: bool, logit: float) -> tuple[dict, list[float]]:
    cands = [
        {"position": 0, "score": 0.6, "correct": answerable and right_first},
        {"position": 1, "score": 0.5, "correct": answerable and not right_first},
    ]
    z = [logit if right_first else -2.0, -2.0 if right_first else logit]
    return {"answerable": answerable, "missing": 0, "candidates": cands}, z


def test_calibration_picks_by_the_reader_and_sets_the_threshold_from_near_misses():
    data = [_synthetic(True, False, 3.0) for _ in range(20)]
    data += [_synthetic(False, True, float(x)) for x in np.linspace(-3, 1, 20)]
    groups = [g for g, _ in data]
    logits = np.array([z for _, zs in data for z in zs])
    similarity = picks(groups, logits, None)
    reader = picks(groups, logits, 0.0)
    assert not any(right for a, right, _ in similarity if a)
    assert all(right for a, right, _ in reader if a)
    settings, _ = calibrate([(groups, logits)])
    near = [c for a, _, c in picks(groups, logits, settings.combine) if not a]
    assert np.mean(np.array(near) < settings.threshold) >= ABSTAIN
    rows = picks(groups, logits, settings.combine)
    assert settings.threshold == pytest.approx(pooled_threshold([rows], ABSTAIN), abs=1e-4)
    one_set = threshold_for(rows, ABSTAIN)
    assert pooled_threshold([rows], ABSTAIN) == pytest.approx(one_set, abs=0.25)


def test_pooled_threshold_weighs_every_set_alike():
    small = [(False, False, c) for c in (0.9, 0.95)]
    large = [(False, False, c) for c in np.linspace(0.0, 0.5, 100)]
    assert threshold_for(small + large, 0.8) < 0.5
    assert pooled_threshold([small, large], 0.8) > 0.5


def test_reader_data_and_calibration_import_without_torch():
    import subprocess
    import sys

    code = (
        "import sys, seedqa.training.reader_data, seedqa.training.calibrate_reader; "
        "sys.exit('torch' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_users_batches_are_small_text():
    total = sum(p.stat().st_size for p in Path(reader_data.USERS).rglob("*") if p.is_file())
    assert total < 5 * 1024 * 1024
