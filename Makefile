# `make demo` (set up, then grade the reference and a sample student), `make test` (everything),
# `make test-fast` (the fast tier, under 3 minutes), `make lint` (ruff), and for a course
# `make release OUT=../ch6-student` (the student repository) and `make gradescope OUT=autograder.zip`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The PyTorch build to install; override for another platform, e.g. TORCH="torch torchvision".
TORCH ?= torch==2.14.1 torchvision==0.29.1
# That build fills about 6 GB of the venv and pip unpacks beside it: set up only with this much free.
SETUP_FREE_GB ?= 8

.PHONY: setup demo test test-fast lint student-test release gradescope clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@free=$$(df -Pk $(dir $(VENV)) | awk 'NR == 2 { print int($$4 / 1048576) }'); \
	if [ "$$free" -lt $(SETUP_FREE_GB) ]; then \
		echo "make setup: installing PyTorch into $(VENV) needs $(SETUP_FREE_GB) GB free on this disk;" \
			"$$free GB are free (df -h $(dir $(VENV))). Free some space, or set SETUP_FREE_GB for a smaller TORCH build." >&2; \
		exit 1; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e '.[instructor,dev]'
	touch $@

# The demo grades the kit's own files, which are trusted: where the sandbox cannot run (no
# bubblewrap, no user namespaces) it says so and grades them with --no-sandbox.
demo: setup
	@trusted=""; \
	if ! $(PY) -m autograder sandbox >/dev/null; then \
		echo "make demo: the sandbox cannot run here (see above); the kit's own trusted files are graded with --no-sandbox"; \
		trusted="--no-sandbox"; \
	fi; \
	echo "== the reference solutions (expected: 100/100) =="; \
	$(PY) -m autograder grade solutions $$trusted && \
	echo "== a sample student submission (partly done) ==" && \
	$(PY) -m autograder grade examples/sample-submission --only corr2d,padding_stride,pooling $$trusted

test: setup
	$(PY) -m pytest tests -ra --durations=15

test-fast: setup
	$(PY) -m pytest tests/fast -ra --durations=10

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

student-test: setup
	$(PY) -m pytest exercises

release: setup
	@test -n "$(OUT)" || { echo "usage: make release OUT=../ch6-student"; exit 2; }
	$(PY) -m autograder release $(OUT)

gradescope: setup
	@test -n "$(OUT)" || { echo "usage: make gradescope OUT=autograder.zip"; exit 2; }
	$(PY) -m autograder gradescope build $(OUT)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
