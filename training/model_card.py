"""Write ``models/answerer/README.md``, the model card, from the training run's figures."""

from __future__ import annotations

import json
from pathlib import Path

from seedqa.training.squad_data import SPLIT_FILE

SET_NOTES = {
    "squad-dev": "SQuAD dev-split articles (8), open retrieval over their paragraphs; "
    "unanswerable = perturbed questions and evidence-removed copies",
    "user-dev": "eval/dev_questions.jsonl over eval/dev_corpus (5 documents, users' style)",
    "seed-paraphrase": "eval/seed_paraphrase.jsonl over seeds/ (users' style)",
    "seed": "eval/seed_questions.jsonl over seeds/ (the original seed set)",
}


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def write_card(directory: Path, counts: dict[str, dict[str, int]]) -> Path:
    """Write the model card into ``directory`` (next to ``config.json`` and ``metrics.json``)."""
    config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    metrics = json.loads((directory / "metrics.json").read_text(encoding="utf-8"))
    split = json.loads(SPLIT_FILE.read_text(encoding="utf-8"))
    size = sum(p.stat().st_size for p in directory.iterdir() if p.is_file())
    settings = config["settings"]
    rows = "\n".join(
        f"| {name} | {fig['questions']} ({fig['answerable']} answerable) | "
        f"{_fmt(fig['top1_right'])} | {_fmt(fig['answered_correct'])} | {_fmt(fig['abstained'])} |"
        for name, fig in metrics["sets"].items()
    )
    notes = "\n".join(f"- **{name}**: {SET_NOTES.get(name, '')}" for name in metrics["sets"])
    data_rows = "\n".join(
        f"| {name} | {c['questions']} | {c['answerable']} | {c['candidates']} |"
        for name, c in counts.items()
    )
    files = "\n".join(
        [
            "| file | what |",
            "| --- | --- |",
            "| `model.npz` | the weights (projections, token weights, small networks), and for "
            "each wordpiece id a flag saying whether it holds a digit |",
            f"| `config.json` | format version, **threshold {config['threshold']}**, margin "
            f"{config['margin']}, hand-feature names, training settings and times |",
            "| `metrics.json` | the figures below and the whole accuracy-versus-abstention curve "
            "for each development set |",
        ]
    )
    titles = lambda name: ", ".join(a["title"] for a in split[name])  # noqa: E731
    text = f"""# Answer-sentence model (`models/answerer/`)

Gives the probability that a sentence answers a question. It reads both
together, token by token. It sits on top of the frozen all-MiniLM-L6-v2 token
vectors that seedqa already computes, and it runs with numpy alone
(`seedqa/qa/answer_model.py`). The design is described in that module, and the
README's Answers section explains how `seedqa ask` uses it.

{files}

Size on disk: {size / 1024:.0f} KiB.

## Retrain

```bash
make train-answerer      # installs the [train] extra (torch, transformers), then
                         # python -m seedqa.training.train_answerer
```

The run is reproducible: the data seed is {0}, the split seed is {split["seed"]} and the
torch seed is {settings["seed"]}. It takes
{config["seconds"]["build_dataset"] / 60:.0f} min to build the data and
{config["seconds"]["train"] / 60:.0f} min to train, on 2 shared cores with a load average
of {config.get("load_average", "?")}. The token vectors and indexes are cached in
`.cache/train-answerer/`, so a second run only trains.

## Data

SQuAD v1.1 dev (48 articles) is split **by article**, with seed {split["seed"]}
(`training/squad_split.json`):

- train (32 articles): {titles("train")}
- dev (8 articles): {titles("dev")}
- test (8 articles, never used here): {titles("test")}

Each question is asked the way `seedqa ask` asks it: hybrid retrieval of the top 5 chunks,
with every sentence of those chunks a candidate. Candidates are labelled 1 (the answer
sentence), 0, or ignored (a sentence that contains a gold answer string but is not the
answer sentence).

Unanswerable questions come in two kinds:

- **perturbed**: a year, figure, name or key noun of the question is replaced with one
  that the article never mentions (`training/perturb.py`);
- **evidence-removed**: the question is asked with the chunks that hold its answer taken
  out of the hits.

There are also **hand-written** pairs: 12 documents written for training only
(`training/data/handwritten/`). None of them is a SQuAD, seed or development document.
They come with 149 paraphrased questions and 83 near-miss questions. Each paraphrased
question is also asked with its evidence removed. Hand-written questions weigh
{settings["hand_weight"]}× in the loss.

| dataset | questions | answerable | candidates |
| --- | ---: | ---: | ---: |
{data_rows}

## Metrics

At the stored threshold ({config["threshold"]}):

- *top-1 right*: the most probable sentence is a right one, over answerable questions;
- *answered correctly*: answered with a right sentence, over answerable questions;
- *abstained*: share of unanswerable questions abstained on.

| development set | questions | top-1 right | answered correctly | abstained |
| --- | --- | ---: | ---: | ---: |
{rows}

{notes}

The threshold maximises the mean, over these sets, of (answered correctly + abstained) / 2.
These are development sets, used for tuning, so they are not a test. The README reports
`seedqa eval` on the seed sets, the development corpus and the SQuAD **test** articles.

## Training

- Loss: binary cross-entropy on every labelled candidate, plus a listwise term (softmax
  over the question's candidates) that puts the answer sentence first.
- Optimiser: AdamW, lr {settings["lr"]}, one-cycle schedule, {settings["epochs"]} epochs,
  {settings["batch_questions"]} questions per step.
- Candidates per question: all positives, plus {settings["max_negatives"]} negatives (half of
  them the hardest by the old score, half at random).
- Sentences are cut at {settings["max_tokens"]} wordpieces.
"""
    path = directory / "README.md"
    path.write_text(text, encoding="utf-8")
    return path
