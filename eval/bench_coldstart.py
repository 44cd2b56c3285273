"""Benchmark cold start: fresh ``seedqa`` processes, from process start to exit.

Measures, in one run and with the same seed index:

* ``seedqa --help``;
* a first ``seedqa ask`` on an existing seed index with the default runtime
  (ONNX Runtime), and with ``SEEDQA_RUNTIME=torch`` (the torch path, baseline);
* optionally (``--baseline-rev REV``) the same ``ask`` with the code of an
  older git revision, run from a temporary checkout in this environment;
* optionally (``--app-venv DIR``) ``--help`` and ``ask`` with another venv's
  ``seedqa``, e.g. one made by ``make install`` (no torch, no scipy).

Each command runs ``--runs`` times (default 5) in rotating order, each in a new
process; the script prints p50, min and max wall seconds and writes
eval/results/bench_coldstart.{json,md}. Targets (issue 11): ``--help`` <= 0.5 s,
``ask`` <= 3 s, p50 on 2 cores.

Usage::

    .venv/bin/python eval/bench_coldstart.py [--runs 5] [--baseline-rev 466504e]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "eval/results"
SEEDQA = Path(sys.executable).with_name("seedqa")
QUESTION = "How much will Xiaomi invest in 5G, AI and IoT?"
#: Runs an older checkout as the ``seedqa`` package (it must be importable as seedqa).
OLD_MAIN = "import sys; from seedqa.ui.cli import main; sys.exit(main())"


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, str]:
    """Run ``command``; return (wall seconds, CPU seconds of all its threads, stdout)."""
    cpu = children_cpu()
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-800:]}")
    return seconds, children_cpu() - cpu, done.stdout


def old_checkout(rev: str, work: Path) -> Path:
    """A checkout of ``rev`` importable as ``seedqa`` from the returned directory."""
    tree = work / "old-tree"
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), rev],
        check=True,
        capture_output=True,
    )
    parent = work / "old-path"
    parent.mkdir()
    (parent / "seedqa").symlink_to(tree)
    return parent


def summarise(samples: list[float], cpu: list[float]) -> dict:
    return {
        "p50_s": round(statistics.median(samples), 3),
        "min_s": round(min(samples), 3),
        "max_s": round(max(samples), 3),
        "cpu_p50_s": round(statistics.median(cpu), 3),
        "runs": [round(s, 3) for s in samples],
    }


def markdown(results: dict) -> str:
    lines = [
        "# Cold start (fresh processes)",
        "",
        f"Run {results['started_at']} on {results['cpus']} CPUs; load average before "
        f"{results['load_avg_start']}, after {results['load_avg_end']}.",
        "",
        "| command | p50 s | min s | max s | CPU s (p50) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, row in results["commands"].items():
        lines.append(
            f"| {name} | {row['p50_s']} | {row['min_s']} | {row['max_s']} | {row['cpu_p50_s']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--baseline-rev", default=None, help="also time ask with this git rev")
    parser.add_argument(
        "--app-venv",
        type=Path,
        default=None,
        help="also time --help and ask with the seedqa of this venv (e.g. a `make install` "
        "one, without torch or scipy)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "bench_coldstart")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="seedqa-coldstart-"))
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("SEEDQA_RUNTIME", None)
    try:
        index = work / "seed-index"
        timed([str(SEEDQA), "index", "seeds", "--index-dir", str(index), "-q"], env, REPO)
        ask = [str(SEEDQA), "ask", QUESTION, "--index-dir", str(index)]
        commands: dict[str, tuple[list[str], dict[str, str]]] = {
            "seedqa --help": ([str(SEEDQA), "--help"], env),
            "seedqa ask (ONNX Runtime, default)": (ask, env),
            "seedqa ask (SEEDQA_RUNTIME=torch, baseline)": (
                ask,
                {**env, "SEEDQA_RUNTIME": "torch"},
            ),
        }
        if args.app_venv:
            app = str(args.app_venv / "bin" / "seedqa")
            commands["seedqa --help (make install venv)"] = ([app, "--help"], env)
            app_ask = [app, *ask[1:]]
            commands["seedqa ask (ONNX Runtime, make install venv)"] = (app_ask, env)
        if args.baseline_rev:
            path = old_checkout(args.baseline_rev, work)
            old_env = {**env, "PYTHONPATH": str(path)}
            old_ask = [sys.executable, "-c", OLD_MAIN, "ask", QUESTION, "--index-dir", str(index)]
            commands[f"seedqa ask (code at {args.baseline_rev}, baseline)"] = (old_ask, old_env)
        for command, command_env in commands.values():  # warm the page cache, not measured
            timed(command, command_env, REPO)
        results: dict = {
            "started_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "cpus": os.cpu_count(),
            "load_avg_start": load_avg(),
            "question": QUESTION,
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        names = list(commands)
        for run in range(args.runs):
            for name in names[run % len(names) :] + names[: run % len(names)]:
                command, command_env = commands[name]
                seconds, cpu_seconds, output = timed(command, command_env, REPO)
                samples[name].append(seconds)
                cpu[name].append(cpu_seconds)
                if "ask" in name and "[1]" not in output:
                    raise SystemExit(f"{name} printed no cited answer: {output[:400]}")
        results["load_avg_end"] = load_avg()
        results["commands"] = {name: summarise(s, cpu[name]) for name, s in samples.items()}
    finally:
        if args.baseline_rev:
            subprocess.run(
                ["git", "-C", str(REPO), "worktree", "remove", "--force", str(work / "old-tree")],
                capture_output=True,
                check=False,
            )
        shutil.rmtree(work, ignore_errors=True)
    for name, row in results["commands"].items():
        spread = f"min {row['min_s']:.2f}, max {row['max_s']:.2f}, CPU {row['cpu_p50_s']:.2f} s"
        print(f"{name:<50} p50 {row['p50_s']:6.2f} s  ({spread})")
    print(f"load average {results['load_avg_start']} -> {results['load_avg_end']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
