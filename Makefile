# Training neural networks, from backprop to pruning: the course's build targets.
# `make course` sets everything up and runs the main job; `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WORKERS ?= 2
export COURSE_PROFILE ?= smoke
export PIP_DISABLE_PIP_VERSION_CHECK = 1

.PHONY: course setup data source release archives book demo selftest browser test test-fast test-slow grade formgrader export experiment measure-gpu bench bench-grade bench-pipeline clean

course: setup data release archives book demo
	@echo
	@echo "Book:            $(CURDIR)/_build/html/index.html"
	@echo "Release:         $(CURDIR)/release/ (student notebooks + coursekit)"
	@echo "Downloads:       $(CURDIR)/_build/student/<chapter>.zip (one per chapter, linked from the book)"
	@echo "Demo grades:     $(CURDIR)/_build/demo/grades.csv"
	@echo "Demo feedback:   $(CURDIR)/_build/demo/feedback/<student>/<chapter>.html"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@# pip's own failure stops the build here, with its log and the likeliest cause (a full disk: the stack is ~6 GB)
	$(BIN)/pip install -q -e . > $(VENV)/pip.log 2>&1 || { grep -v "^WARNING: Location" $(VENV)/pip.log | tail -20; \
	  echo "pip install failed (whole log: $(VENV)/pip.log); free space here:"; df -h . | tail -1; exit 1; }
	$(BIN)/python -c "import torch, torchvision, nbgrader, jupyter_book, coursekit, solutions, autograder"
	touch $(STAMP)

setup: $(STAMP)

# Fashion-MNIST from Debian's dataset-fashion-mnist (offline; no root needed)
data: setup
	$(BIN)/python -m coursekit fetch fashion-mnist

# Rebuild source/ notebooks from autograder/chapters + solutions/
source: setup
	$(BIN)/python -m autograder build

release: setup
	$(BIN)/python -m autograder release

# one download per chapter for students (notebook, coursekit, pinned requirements, README), linked from the book
archives: setup
	$(BIN)/python -m autograder archive

# jupyter-cache keys executed pages on their code, not on COURSE_PROFILE: forget the cache
# when the profile changes, so `COURSE_PROFILE=full make book` really runs the full experiments.
book: setup data archives _vendor/mathjax/tex-svg-full.js
	@mkdir -p _build; if [ "$$(cat _build/.book-profile 2>/dev/null)" != "$(COURSE_PROFILE)" ]; then rm -rf _build/.jupyter_cache; fi
	$(BIN)/jupyter-book build . --builder html -W -n --keep-going
	@echo "$(COURSE_PROFILE)" > _build/.book-profile

demo: setup data release
	$(BIN)/python -m autograder demo --out _build/demo --workers $(WORKERS)

# MathJax served with the book, so its maths renders offline (from the npm registry; when
# that is unreachable, a stub that loads MathJax from its CDN instead).
_vendor/mathjax/tex-svg-full.js:
	@mkdir -p _vendor/mathjax _build/npm
	@if (cd _build/npm && npm pack --silent mathjax@3.2.2 >/dev/null 2>&1) && \
	    tar -xzf _build/npm/mathjax-3.2.2.tgz -C _build/npm package/es5/tex-svg-full.js; then \
	  cp _build/npm/package/es5/tex-svg-full.js $@; echo "MathJax 3.2.2 vendored for offline reading"; \
	else \
	  echo "warning: npm could not fetch MathJax; the book will load it from a CDN"; \
	  echo 'var s=document.createElement("script");s.src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-svg-full.js";document.head.appendChild(s);' > $@; \
	fi

selftest: setup data
	$(BIN)/python -m autograder selftest --workers $(WORKERS)

# Grade a real class: make grade SUBMISSIONS=path/to/submitted OUT=path/to/results
# SCHEDULER=tcp://HOST:8786 grades on a Dask cluster instead of the local pool (see the README)
grade: setup data
	$(BIN)/python -m autograder grade $(SUBMISSIONS) --out $(OUT) --workers $(WORKERS) $(if $(SCHEDULER),--scheduler $(SCHEDULER))

# Score the written answers of a graded class in nbgrader's formgrader (OUT is grade's --out
# folder; open the printed URL at /formgrader), then write OUT/final_grades.csv
formgrader: setup
	@test -f "$(OUT)/nbgrader_config.py" || { echo "$(OUT) is not a graded class: make grade SUBMISSIONS=... OUT=... first"; exit 2; }
	@echo "formgrader: open the URL Jupyter prints below with /tree replaced by /formgrader (Manual Grading)"
	cd "$(OUT)" && "$(abspath $(BIN))/jupyter" notebook --no-browser --ServerApp.root_dir=. $$([ "$$(id -u)" = 0 ] && echo --allow-root)

export: setup
	$(BIN)/python -m autograder export $(OUT)

# Grading throughput: plain sequential `nbgrader autograde` vs ours on the same 20 submissions
bench-grade: setup data release
	$(BIN)/python -m autograder.bench --workers $(WORKERS)

# Input pipelines of the frn_vs_bn chapter: the original per-image DataLoader vs data on the device
bench-pipeline: setup
	$(BIN)/python -m solutions.frn_vs_bn.bench $(BENCH_ARGS)

bench: bench-grade bench-pipeline

# A chapter's experiment: make experiment CHAPTER=two_layer_net PROFILE=full [SCHEDULER=tcp://HOST:8786]
experiment: setup
	$(BIN)/python -m solutions.$(CHAPTER) --profile $(or $(PROFILE),$(COURSE_PROFILE)) $(if $(SCHEDULER),--scheduler $(SCHEDULER))

# What one GPU measures in about 12 minutes (the pipeline benchmark, then as much of frn_vs_bn's
# sweep as fits), written with its provenance under book/frn_vs_bn/measured/gpu/
measure-gpu: setup data
	$(BIN)/python -m solutions.measure_gpu $(MEASURE_ARGS)

# headless Chromium for the browser test of the book and the feedback pages (Debian's packages;
# where they cannot be installed the test is skipped and says why)
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium and chromium-driver for the browser test"; \
	    apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; } || \
	    echo "warning: chromium could not be installed: the browser test will be skipped"; \
	  else echo "note: no chromium (apt-get install chromium chromium-driver): the browser test will be skipped"; fi; }

test: setup data browser
	@echo "== fast tests =="
	@start=$$(date +%s); $(BIN)/python -m pytest -m "not slow" -q; rc=$$?; echo "fast tests: $$(( $$(date +%s) - start )) s"; exit $$rc
	@echo "== slow tests (book build, class grading, selftest) =="
	@start=$$(date +%s); timeout 3200 $(BIN)/python -m pytest -m slow -q --durations=12; rc=$$?; echo "slow tests: $$(( $$(date +%s) - start )) s"; exit $$rc

test-fast: setup data
	$(BIN)/python -m pytest -m "not slow" -q

test-slow: setup data browser
	$(BIN)/python -m pytest -m slow -q

clean:
	rm -rf _build submitted autograded feedback gradebook.db .pytest_cache
