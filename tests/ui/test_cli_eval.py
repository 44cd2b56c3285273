"""`seedqa eval` end to end on tiny corpora with the real model and index, run in process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from qa_set_files import GOOD, write_lines

from seedqa.ui.cli import main


def test_cli_malformed_line_exits_2_with_one_line(tmp_path, capsys):
    path = write_lines(tmp_path / "set.jsonl", [json.dumps(GOOD), "{oops"])
    assert main(["eval", "qa", str(path), "--corpus", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"seedqa: error: {path} line 2: not valid JSON " + err.split("not valid JSON ")[1]
    assert "\n" not in err and "Traceback" not in err


# ----------------------------------------------------------------------------- end to end

ARTICLE = (
    "Harbor Town opens a new library\n\n"
    "The city of Harbor Town opened its new public library on March 3, 2021. "
    "The building cost $12 million and was designed by the architect Maria Lund. "
    "It holds 80,000 books and a maker space for children.\n\n"
    "The mayor, Tom Berg, said the library would stay open until 10 pm on weekdays."
)
SECOND = (
    "Tidal energy in the north\n\n"
    "A tidal power station in the northern fjord produces 20 megawatts. "
    "Engineers chose the fjord because its currents are strong and steady all year."
)


def _qa_set(path: Path) -> Path:
    rows = [
        {
            "id": "cost",
            "question": "How much did the Harbor Town library cost?",
            "answers": ["$12 million"],
            "answerable": True,
            "evidence": ["The building cost $12 million"],
            "source": "library.txt",
        },
        {
            "id": "architect",
            "question": "Who designed the new library?",
            "answers": ["Maria Lund"],
            "answerable": True,
            "evidence": ["designed by the architect Maria Lund"],
        },
        {
            "id": "tidal",
            "question": "How much power does the tidal station produce?",
            "answers": ["20 megawatts"],
            "answerable": True,
            "evidence": ["produces 20\nmegawatts"],
            "source": "corpus/tidal.txt",
        },
        {
            "id": "budget",
            "question": "What is the annual budget of the Harbor Town library?",
            "answers": [],
            "answerable": False,
            "evidence": [],
        },
        {
            "id": "mars",
            "question": "When did the first rover land on Mars?",
            "answers": [],
            "answerable": False,
            "evidence": [],
        },
    ]
    return write_lines(path, [json.dumps(r) for r in rows])


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("eval") / "corpus"
    folder.mkdir()
    (folder / "library.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "tidal.txt").write_text(SECOND, encoding="utf-8")
    return folder


def test_cli_eval_qa_json_schema_and_report(tiny_corpus, tmp_path, capsys):
    qa_set = _qa_set(tmp_path / "set.jsonl")
    out, report = tmp_path / "out" / "r.json", tmp_path / "rep" / "r.md"
    index_dir = tmp_path / "idx"
    code = main(
        [
            "eval",
            "qa",
            str(qa_set),
            "--corpus",
            str(tiny_corpus),
            "--index-dir",
            str(index_dir),
            "--json",
            str(out),
            "--report",
            str(report),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "hit@1" in captured.out and "answer acc" in captured.out
    data = json.loads(out.read_text())
    assert list(data) == [
        "n",
        "answerer",
        "retrieval",
        "answer",
        "abstention",
        "latency_ms",
        "tradeoff",
        "per_question",
    ]
    assert data["answerer"] == "similarity"  # the default answerer
    assert list(data["retrieval"]) == ["hit@1", "hit@5", "mrr"]
    assert list(data["answer"]) == ["accuracy", "citation_accuracy", "first_citation_source"]
    assert list(data["tradeoff"][0]) == [
        "threshold",
        "answered_correct",
        "abstained",
        "coverage",
        "precision",
    ]
    assert list(data["abstention"]) == ["precision", "recall"]
    assert list(data["latency_ms"]) == ["p50", "p95"]
    assert data["n"] == 5 and len(data["per_question"]) == 5
    for entry in data["per_question"]:
        assert list(entry) == [
            "id",
            "question",
            "answerable",
            "abstained",
            "answer",
            "answer_correct",
            "citation_correct",
            "hit_rank",
            "latency_ms",
            "confidence",
            "top_correct",
            "first_citation_source",
        ]
        assert 0.0 <= entry["confidence"] <= 1.0
    for group in ("retrieval", "answer", "abstention"):
        for value in data[group].values():
            assert value is None or 0.0 <= value <= 1.0
    assert data["latency_ms"]["p50"] <= data["latency_ms"]["p95"]
    by_id = {e["id"]: e for e in data["per_question"]}
    # The evidence of each answerable question is in a 1- or 2-chunk document: found at once.
    assert by_id["cost"]["hit_rank"] == 1 and by_id["tidal"]["hit_rank"] == 1
    assert by_id["mars"]["hit_rank"] is None
    # The index was kept at --index-dir.
    assert (index_dir / "CURRENT").exists()
    text = report.read_text()
    assert text.startswith("# QA set evaluation: set.jsonl")
    assert "| mode | n | hit@1 |" in text and "r-outcomes.png" in text
    for name in ("r-outcomes.png", "r-latency.png"):
        assert (report.parent / name).read_bytes().startswith(b"\x89PNG")

    # The same index, used without --corpus; evidence absent from its source is an error.
    bad = write_lines(
        tmp_path / "bad.jsonl",
        [
            json.dumps(
                {
                    "id": "a",
                    "question": "Who?",
                    "answers": ["Maria Lund"],
                    "answerable": True,
                    "evidence": ["Maria Lund"],
                    "source": "tidal.txt",
                }
            )
        ],
    )
    assert main(["eval", "qa", str(bad), "--index-dir", str(index_dir)]) == 2
    err = capsys.readouterr().err
    assert f"{bad} line 1: evidence 'Maria Lund' does not occur in source corpus/tidal.txt" in err
    missing = write_lines(tmp_path / "missing.jsonl", [json.dumps({**GOOD, "source": "x.txt"})])
    assert main(["eval", "qa", str(missing), "--index-dir", str(index_dir)]) == 2
    assert "line 1: source 'x.txt' is not an indexed document" in capsys.readouterr().err


TOPICS = [
    ("Photosynthesis", "Plants turn sunlight, water and carbon dioxide into glucose and oxygen."),
    ("Insulin", "The pancreas releases insulin, a hormone that lowers blood glucose."),
    ("Volcanoes", "Magma rising through the crust erupts from volcanoes as lava and ash."),
    ("Vaccines", "Vaccines expose the immune system to an antigen so it learns a pathogen."),
    ("Black holes", "Nothing, not even light, escapes the gravity of a black hole."),
    ("Tides", "The gravity of the Moon and the Sun raises the ocean tides twice a day."),
    ("Rust", "Iron rusts when it reacts with oxygen and water to form iron oxide."),
    ("Bees", "Honey bees pollinate flowers and turn nectar into honey in the hive."),
    ("Glaciers", "Glaciers are slow rivers of ice that carve valleys in mountains."),
    ("Antibiotics", "Antibiotics kill bacteria but do not work against viruses."),
    ("Lightning", "Lightning is an electrical discharge between clouds and the ground."),
    ("Coffee", "Caffeine in coffee blocks adenosine receptors and keeps people awake."),
    ("Earthquakes", "Earthquakes happen when tectonic plates slip along a fault."),
    ("DNA", "DNA is a double helix that stores genetic information in base pairs."),
    ("Rainbows", "Rainbows appear when sunlight is refracted and reflected in raindrops."),
    ("Sleep", "Deep sleep helps the brain consolidate memories from the day."),
    ("Solar panels", "Solar panels convert sunlight into electricity with silicon cells."),
    ("Yeast", "Yeast ferments sugar into alcohol and carbon dioxide in bread dough."),
    ("Comets", "Comets are icy bodies that grow glowing tails near the Sun."),
    ("Salt", "Salt lowers the freezing point of water, so roads are salted in winter."),
]


@pytest.fixture(scope="module")
def beir_fixture(tmp_path_factory):
    root = tmp_path_factory.mktemp("beir") / "tinybeir"
    (root / "qrels").mkdir(parents=True)
    with (root / "corpus.jsonl").open("w") as handle:
        for i, (title, text) in enumerate(TOPICS):
            handle.write(
                json.dumps({"_id": f"d{i}", "title": title, "text": text, "metadata": {}}) + "\n"
            )
    queries = {
        "q1": "How do plants make glucose from sunlight?",
        "q2": "Which organ releases insulin?",
        "q3": "Why do roads get salted when it freezes?",
        "q4": "What causes earthquakes along faults?",
        "q5": "Do antibiotics work against viruses?",
        "train": "An unjudged query that must be ignored",
    }
    with (root / "queries.jsonl").open("w") as handle:
        for qid, text in queries.items():
            handle.write(json.dumps({"_id": qid, "text": text, "metadata": {}}) + "\n")
    (root / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\nq1\td0\t1\nq1\td16\t1\nq2\td1\t1\nq3\td19\t1\n"
        "q4\td12\t1\nq5\td9\t1\n"
    )
    return root


def test_cli_eval_beir_all_modes(beir_fixture, tmp_path, capsys):
    out, report = tmp_path / "b.json", tmp_path / "b.md"
    code = main(
        [
            "eval",
            "beir",
            str(beir_fixture),
            "--mode",
            "all",
            "--json",
            str(out),
            "--report",
            str(report),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    data = json.loads(out.read_text())
    assert list(data) == ["dataset", "modes"] and data["dataset"] == "tinybeir"
    assert list(data["modes"]) == ["hybrid", "dense", "lexical"]
    for figures in data["modes"].values():
        assert list(figures) == ["ndcg@10", "recall@100", "mrr@10", "queries_per_s", "latency_ms"]
        for name in ("ndcg@10", "recall@100", "mrr@10"):
            assert 0.0 <= figures[name] <= 1.0
        assert figures["queries_per_s"] > 0
        assert 0 < figures["latency_ms"]["p50"] <= figures["latency_ms"]["p95"]
        # 20 documents: every relevant one is in the top 100.
        assert figures["recall@100"] == 1.0
    assert data["modes"]["hybrid"]["ndcg@10"] > 0.8
    assert "nDCG@10" in captured.out and "p95 ms" in captured.out
    assert "| hybrid |" in report.read_text()
    for name in ("b-recall.png", "b-latency.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")
    # One mode only.
    assert main(["eval", "beir", str(beir_fixture), "--mode", "lexical", "--json", str(out)]) == 0
    assert list(json.loads(out.read_text())["modes"]) == ["lexical"]


def test_cli_eval_squad_tiny(tmp_path, capsys):
    def paragraph(context, *qas):
        return {
            "context": context,
            "qas": [
                {
                    "id": qid,
                    "question": q,
                    "answers": [{"answer_start": context.index(a), "text": a}],
                }
                for qid, q, a in qas
            ],
        }

    data = {
        "version": "1.1",
        "data": [
            {
                "title": "Rivers",
                "paragraphs": [
                    paragraph(
                        "The Danube flows through ten countries and ends in the Black Sea.",
                        ("r1", "Where does the Danube end?", "the Black Sea"),
                    ),
                    paragraph(
                        "The Nile is about 6,650 kilometres long and flows north into Egypt.",
                        ("r2", "How long is the Nile?", "6,650 kilometres"),
                    ),
                ],
            },
            {
                "title": "Birds",
                "paragraphs": [
                    paragraph(
                        "Penguins cannot fly, but they swim fast using their flippers.",
                        ("b1", "What do penguins use to swim?", "their flippers"),
                        ("b2", "Can penguins fly?", "cannot fly"),
                    ),
                ],
            },
        ],
    }
    path = tmp_path / "tiny-squad.json"
    path.write_text(json.dumps(data))
    out, report = tmp_path / "s.json", tmp_path / "s.md"
    code = main(
        ["eval", "squad", str(path), "--limit", "3", "--json", str(out), "--report", str(report)]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(out.read_text())
    assert list(result) == [
        "dataset",
        "answerer",
        "n",
        "mode",
        "k",
        "retrieval",
        "answer",
        "latency_ms",
        "tradeoff",
    ]
    assert result["n"] == 3 and result["dataset"] == "tiny-squad.json"
    assert list(result["retrieval"]) == ["top@1", "top@5", "top@20"]
    assert result["retrieval"]["top@5"] == 1.0  # three paragraphs: always in the top 5
    assert list(result["answer"]) == [
        "accuracy",
        "citation_accuracy",
        "first_citation_source",
        "abstained",
    ]
    assert all(v is None or 0 <= v <= 1 for v in result["answer"].values())
    assert (tmp_path / "s-recall.png").exists() and (tmp_path / "s-latency.png").exists()
    assert (tmp_path / "s-tradeoff.png").exists()
    # Only the birds article, answered by the earlier scorer: its two questions, one paragraph.
    argv = ["eval", "squad", str(path), "--articles", "1", "--answerer", "similarity"]
    assert main([*argv, "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["n"] == 2 and result["answerer"] == "similarity"
    assert main(["eval", "squad", str(path), "--articles", "7"]) == 2
    assert "no article 7" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["eval", "squad", str(path), "--articles", "one"])
    path.write_text('{"data": [{"title": "x"}]}')
    assert main(["eval", "squad", str(path)]) == 2
    assert "malformed SQuAD record" in capsys.readouterr().err
