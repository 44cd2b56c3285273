"""Load benchmark of ``seedqa serve``: latency and throughput under concurrent clients.

It starts the real server (``seedqa serve``) on a free port over a fresh
index of ``--corpus`` and runs three phases through real HTTP (httpx):

1. baseline: one client asks ``--questions`` questions one after another;
2. load: ``--clients`` clients ask ``--questions`` questions each, all at once
   (each sends its next question when the previous answer arrives);
3. load + re-index: the same, while a writer uploads a new revision of a
   document and removes the previous one through the API, over and over, so
   that index generations swap underneath the questions.

Every answer is checked to come whole from one generation: the generation
named by its ``X-Seedqa-Generation`` header, whose chunk table (read from the
index directory right after the change that made it live) must hold every
hit with the same id, document, offsets and text; every citation must be the
exact text of one of its hits. The revision document changes in every
generation, so a hit or citation taken from another generation fails.

Printed per phase: errors, p50/p95/max latency, throughput; with the load
average. ``--json`` and ``--markdown`` write the results.

Usage::

    .venv/bin/python eval/bench_serve.py                      # 50 clients x 20 questions
    .venv/bin/python eval/bench_serve.py --clients 10 --questions 5 --threads 4
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
GENERATION_HEADER = "x-seedqa-generation"
START_TIMEOUT_S = 300
PREFIXES = ("", "Please tell me: ", "Quick question: ", "I'd like to know: ", "Tell me: ",
            "Out of curiosity: ", "One more thing: ", "I wonder: ", "Can you check: ", "So, ")
SUFFIXES = ("", " Thanks.", " Thank you!", " Cheers.", " Much appreciated.", " Just curious.",
            " Please help.", " Thanks in advance.", " Briefly, please.", " Any idea?")
REVISION_QUESTIONS = (
    "What is the budget of the Zorblat project?",
    "Where does the Zorblat team meet?",
    "Which revision of the Zorblat plan is this?",
)


@dataclass
class Outcome:
    """One question's result: latency, status, generation and the answer body."""

    client: int
    question: str
    seconds: float
    status: int
    generation: str = ""
    body: dict = field(default_factory=dict, repr=False)
    error: str = ""


@dataclass
class PhaseResult:
    """The figures of one phase."""

    name: str
    clients: int
    questions: int
    errors: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    throughput_qps: float
    seconds: float
    generations_served: int = 0
    changes: int = 0
    server_cpu_ms_per_answer: float = 0.0
    error_examples: list[str] = field(default_factory=list)
    loadavg_after: str = ""


def revision_text(number: int) -> str:
    """The revision document: every generation holds a different text."""
    return (
        f"# Zorblat project plan, revision {number}\n\n"
        f"This is revision {number} of the Zorblat plan. The Zorblat project budget in "
        f"revision {number} is {number * 3 + 1} million euros.\n\n"
        f"The Zorblat team meets every Tuesday in Lyon, in room {100 + number}.\n"
    )


def load_questions(seed: int = 0) -> list[str]:
    """Distinct questions, shuffled: the seed QA set's and the revision document's, each
    asked in several wordings, so that no answer comes from the server's query cache."""
    lines = (REPO / "eval/seed_questions.jsonl").read_text(encoding="utf-8").splitlines()
    base = [json.loads(line)["question"] for line in lines if line.strip()]
    base += list(REVISION_QUESTIONS)
    questions = [f"{before}{question}{after}" for question in base
                 for before in PREFIXES for after in SUFFIXES]  # fmt: skip
    random.Random(seed).shuffle(questions)
    return questions


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) used so far by process ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_chunk_table(index_dir: Path, generation: str) -> dict[str, tuple]:
    """The chunk table of one generation: chunk id -> (doc id, start, end, text)."""
    rows = {}
    with (index_dir / generation / "chunks.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            chunk = json.loads(line)
            rows[chunk["chunk_id"]] = (chunk["doc_id"], chunk["start"], chunk["end"], chunk["text"])
    return rows


def check_whole(outcome: Outcome, tables: dict[str, dict[str, tuple]]) -> str:
    """Return why the answer is not whole from its generation ('' when it is)."""
    table = tables.get(outcome.generation)
    if table is None:
        return f"answered by unknown generation {outcome.generation!r}"
    hits = outcome.body.get("hits", [])
    for hit in hits:
        expected = (hit["doc_id"], hit["start"], hit["end"], hit["text"])
        if table.get(hit["chunk_id"]) != expected:
            return f"hit {hit['chunk_id']} is not in {outcome.generation}"
    for citation in outcome.body.get("citations", []):
        if not any(
            hit["doc_id"] == citation["doc_id"]
            and hit["start"] <= citation["start"] <= citation["end"] <= hit["end"]
            and hit["text"][citation["start"] - hit["start"] : citation["end"] - hit["start"]]
            == citation["text"]
            for hit in hits
        ):
            return f"citation [{citation['n']}] is not the text of one of its hits"
    return ""


class Server:
    """``seedqa serve`` in a child process, stopped by its PID."""

    def __init__(self, index_dir: Path, log: Path, threads: int | None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        command = [sys.executable, "-m", "seedqa.ui.cli", "serve", "--port", str(self.port),
                   "--index-dir", str(index_dir)]  # fmt: skip
        if threads:
            command += ["--threads", str(threads)]
        env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
        env.pop("SEEDQA_API_KEY", None)
        with log.open("wb") as handle:
            self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=handle,
                                            stderr=subprocess.STDOUT)  # fmt: skip

    def wait(self) -> None:
        """Wait until the server prints its address."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited:\n{self.log.read_text()}")
            if "open http" in self.log.read_text(errors="replace"):
                return
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"the server did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        """Terminate the server (then kill it if it hangs)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def ask(client: httpx.AsyncClient, number: int, question: str) -> Outcome:
    """Ask one question through POST /v1/ask and time it."""
    started = time.perf_counter()
    try:
        response = await client.post("/v1/ask", json={"question": question})
    except httpx.HTTPError as error:
        return Outcome(number, question, time.perf_counter() - started, 0,
                       error=f"{type(error).__name__}: {error}")  # fmt: skip
    seconds = time.perf_counter() - started
    outcome = Outcome(number, question, seconds, response.status_code,
                      response.headers.get(GENERATION_HEADER, ""))  # fmt: skip
    if response.status_code != 200:
        outcome.error = f"HTTP {response.status_code}: {response.text[:200]}"
    else:
        outcome.body = response.json()
    return outcome


async def client_loop(
    client: httpx.AsyncClient, number: int, questions: Iterator[str], count: int
) -> list[Outcome]:
    """One client: ``count`` questions, each sent when the previous answer arrived."""
    return [await ask(client, number, next(questions)) for _ in range(count)]


async def writer_loop(
    client: httpx.AsyncClient, index_dir: Path, tables: dict, stop: asyncio.Event,
    interval: float, errors: list[str],
) -> int:  # fmt: skip
    """Upload revision n, remove revision n-1, repeat until ``stop``; return the changes made."""
    changes, number, previous = 0, 0, None
    while not stop.is_set():
        number += 1
        files = {"files": ("revision.md", revision_text(number).encode(), "text/markdown")}
        response = await client.post("/v1/documents", files=files)
        if response.status_code != 201:
            errors.append(f"upload: HTTP {response.status_code} {response.text[:200]}")
            break
        report = response.json()
        tables[report["generation"]] = read_chunk_table(index_dir, report["generation"])
        changes += 1
        if previous:
            response = await client.delete(f"/v1/documents/{previous}")
            if response.status_code != 200:
                errors.append(f"delete: HTTP {response.status_code} {response.text[:200]}")
                break
            generation = response.json()["generation"]
            tables[generation] = read_chunk_table(index_dir, generation)
            changes += 1
        previous = "uploads/" + report["stored_files"][0]
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass
    return changes


async def run_phase(
    server: Server, name: str, clients: int, count: int, questions: Iterator[str],
    index_dir: Path, tables: dict, reindex: bool, interval: float,
) -> PhaseResult:  # fmt: skip
    """Run one phase and check every answer against its generation."""
    limits = httpx.Limits(max_connections=clients + 1, max_keepalive_connections=clients + 1)
    async with httpx.AsyncClient(base_url=server.url, timeout=300, limits=limits) as client:
        health = (await client.get("/v1/health")).json()
        tables.setdefault(health["generation"], read_chunk_table(index_dir, health["generation"]))
        stop = asyncio.Event()
        writer_errors: list[str] = []
        writer = (
            asyncio.create_task(writer_loop(client, index_dir, tables, stop, interval,
                                            writer_errors))
            if reindex else None
        )  # fmt: skip
        started, cpu_before = time.perf_counter(), process_cpu_seconds(server.process.pid)
        results = await asyncio.gather(
            *(client_loop(client, n, questions, count) for n in range(clients))
        )
        seconds = time.perf_counter() - started
        cpu = process_cpu_seconds(server.process.pid) - cpu_before
        stop.set()
        changes = await writer if writer else 0
    outcomes = [o for result in results for o in result]
    problems = list(writer_errors)
    for outcome in outcomes:
        problem = outcome.error or check_whole(outcome, tables)
        if problem:
            problems.append(f"{outcome.question!r}: {problem}")
    latencies = sorted(o.seconds * 1000 for o in outcomes)
    return PhaseResult(
        name=name,
        clients=clients,
        questions=len(outcomes),
        errors=len(problems),
        p50_ms=round(statistics.median(latencies), 1),
        p95_ms=round(latencies[max(0, round(0.95 * len(latencies)) - 1)], 1),
        max_ms=round(latencies[-1], 1),
        throughput_qps=round(len(outcomes) / seconds, 1),
        seconds=round(seconds, 2),
        generations_served=len({o.generation for o in outcomes if o.generation}),
        changes=changes,
        server_cpu_ms_per_answer=round(cpu * 1000 / len(outcomes), 1),
        error_examples=problems[:5],
        loadavg_after=loadavg(),
    )


def print_table(results: list[PhaseResult]) -> str:
    """Print and return the results as a Markdown table."""
    lines = [
        "| phase | clients | questions | errors | p50 ms | p95 ms | max ms | answers/s "
        "| server CPU ms per answer | generations served | index changes | load avg after |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.clients} | {r.questions} | {r.errors} | {r.p50_ms} | {r.p95_ms} "
            f"| {r.max_ms} | {r.throughput_qps} | {r.server_cpu_ms_per_answer} "
            f"| {r.generations_served} | {r.changes} "
            f"| {r.loadavg_after} |"
        )
    table = "\n".join(lines)
    print(table, flush=True)
    for r in results:
        for example in r.error_examples:
            print(f"  {r.name}: {example}")
    return table


def parse_args() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--questions", type=int, default=20, help="questions per client")
    parser.add_argument("--threads", type=int, default=None, help="server --threads")
    parser.add_argument("--corpus", nargs="+", default=[str(REPO / "seeds")])
    parser.add_argument("--change-interval", type=float, default=2.0,
                        help="seconds between the writer's changes")  # fmt: skip
    parser.add_argument("--json", type=Path, help="write the results as JSON")
    parser.add_argument("--markdown", type=Path, help="write the results as Markdown")
    return parser.parse_args()


def main() -> int:
    """Build an index, start the server, run the phases, print and write the results."""
    args = parse_args()
    questions = itertools.cycle(load_questions())
    before = loadavg()
    with tempfile.TemporaryDirectory(prefix="seedqa-bench-serve-") as scratch:
        index_dir = Path(scratch) / "index"
        subprocess.run([sys.executable, "-m", "seedqa.ui.cli", "index", *args.corpus,
                        "--index-dir", str(index_dir), "-q"], cwd=REPO, check=True)  # fmt: skip
        server = Server(index_dir, Path(scratch) / "server.log", args.threads)
        try:
            server.wait()
            print(f"server up on {server.url}; load average {loadavg()}", flush=True)
            tables: dict[str, dict[str, tuple]] = {}
            common = {"questions": questions, "index_dir": index_dir, "tables": tables,
                      "interval": args.change_interval}  # fmt: skip
            results = [
                asyncio.run(run_phase(server, "baseline: 1 client", 1, args.questions,
                                      reindex=False, **common)),
                asyncio.run(run_phase(server, f"{args.clients} clients", args.clients,
                                      args.questions, reindex=False, **common)),
                asyncio.run(run_phase(server, f"{args.clients} clients + re-index",
                                      args.clients, args.questions, reindex=True, **common)),
            ]  # fmt: skip
        finally:
            server.stop()
            log_tail = server.log.read_text(errors="replace").splitlines()[-20:]
    print(f"load average before {before}; cores {os.cpu_count()}")
    table = print_table(results)
    if any(r.errors for r in results):
        print("last lines of the server log:", *log_tail, sep="\n  ")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"loadavg_before": before, "cores": os.cpu_count(), "threads": args.threads,
                   "phases": [asdict(r) for r in results]}  # fmt: skip
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        note = f"Load average before the run: {before}; {os.cpu_count()} cores.\n\n"
        args.markdown.write_text(note + table + "\n", encoding="utf-8")
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
