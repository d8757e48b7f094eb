#!/usr/bin/env bash
# Install the course's grader (cnn-kit {{version}}) into the current Python environment, from where
# the instructor keeps it. Set ONE of these (repository secrets in CI):
#   CNNKIT_GRADER_INDEX_URL  a private package index with the cnn-kit package, credentials in the
#                            URL, e.g. https://USER:TOKEN@pypi.example.edu/simple/
#   CNNKIT_GRADER_REPO       a pip VCS address of the instructor's private repository, e.g.
#                            git+https://x-access-token:TOKEN@github.com/ORG/cnn-kit-instructor.git@v{{version}}
# Students never need this: `pytest exercises` runs the public tests without the grader.
set -euo pipefail
if [ -n "${CNNKIT_GRADER_INDEX_URL:-}" ]; then
    python -m pip install --extra-index-url "$CNNKIT_GRADER_INDEX_URL" "cnn-kit=={{version}}"
elif [ -n "${CNNKIT_GRADER_REPO:-}" ]; then
    python -m pip install "$CNNKIT_GRADER_REPO"
else
    echo "install-grader: set CNNKIT_GRADER_INDEX_URL or CNNKIT_GRADER_REPO (see README.md, 'Automatic grading')" >&2
    exit 1
fi
python -m autograder --help >/dev/null
