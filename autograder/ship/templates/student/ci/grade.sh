#!/usr/bin/env bash
# Grade this repository's exercises with the course's grader (installed by ci/install-grader.sh).
# Writes report.json, report.md (Markdown), report.xml (JUnit) and report-files/ (e.g. the training
# curve), adds the Markdown to the GitHub job summary when there is one, and ends with the line
# `Points X/100`. Extra arguments go to `autograde grade` (e.g. --only corr2d,pooling).
set -uo pipefail
cd "$(dirname "$0")/.."
rm -rf report.json report.md report.xml report-files
python -m autograder grade exercises --json report.json --save markdown:report.md --save junit:report.xml \
    --attachments report-files "$@"
status=$?
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f report.md ]; then
    cat report.md >> "$GITHUB_STEP_SUMMARY"
fi
if [ -f report.json ]; then
    python -c 'import json; r = json.load(open("report.json")); print("Points {:g}/{:g}".format(r["score"], r["max_score"]))'
fi
exit $status
