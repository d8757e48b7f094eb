#!/usr/bin/env bash
# Grade this repository's exercises with the course's grader (installed by ci/install-grader.sh).
# Writes report.json, report.md (Markdown), report.xml (JUnit) and report-files/ (e.g. the training
# curve), adds the sandbox line and the Markdown to the GitHub job summary when there is one, and
# ends with the line `Points X/100`. Extra arguments go to `autograde grade` (e.g. --only corr2d,pooling).
# Where the sandbox cannot run, the grader refuses (exit status 2) and says how to fix it.
set -uo pipefail
cd "$(dirname "$0")/.."
rm -rf report.json report.md report.xml report-files
sandbox=$(python -m autograder sandbox 2>&1)
echo "sandbox: $sandbox"
python -m autograder grade exercises --json report.json --save markdown:report.md --save junit:report.xml \
    --attachments report-files "$@"
status=$?
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    printf '**Sandbox**:\n\n```\n%s\n```\n\n' "$sandbox" >> "$GITHUB_STEP_SUMMARY"
    if [ -f report.md ]; then cat report.md >> "$GITHUB_STEP_SUMMARY"; fi
fi
if [ -f report.json ]; then
    python -c 'import json; r = json.load(open("report.json")); print("Points {:g}/{:g}".format(r["score"], r["max_score"]))'
fi
exit $status
