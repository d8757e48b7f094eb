"""``autograde release``: the student repository holds no solution and no hidden check, its public
tests fail only with the stubs' messages, and its CI files run (the same commands, here)."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.registry import NAMES as EXERCISE_NAMES
from autograder.ship.release import FORBIDDEN, ReleaseError, build_release

yaml = pytest.importorskip("yaml")  # the instructor extra

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"CNNKIT_GRADER_INDEX_URL", "CNNKIT_GRADER_REPO"}


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "student-repo"
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "release", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return out


def tool_env() -> dict[str, str]:
    """The environment of a CI job: this Python first on PATH (as setup-python does), no secrets."""
    env = {k: v for k, v in os.environ.items() if k not in SECRETS and k != "GITHUB_STEP_SUMMARY"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def function_bodies(folder: Path) -> list[tuple[str, str]]:
    """(function, body source) of every function in ``folder/*.py`` with a body of some length."""
    bodies = []
    for path in sorted(folder.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body[1:] if ast.get_docstring(node) else node.body
                text = "\n".join(ast.get_source_segment(source, stmt) or "" for stmt in body)
                if len(text) > 40:
                    bodies.append((f"{path.stem}.{node.name}", text))
    return bodies


# -- what the release holds -------------------------------------------------------------------------
def test_release_has_the_student_files(release):
    for path in (
        "exercises/__init__.py",
        "exercises/tests/conftest.py",
        "cnnkit/data.py",
        "datasets/README.md",
        "datasets/fashion-mnist.md5",
        "pyproject.toml",
        "README.md",
        ".gitignore",
        ".github/workflows/autograde.yml",
        ".gitlab-ci.yml",
        "ci/grade.sh",
        "ci/install-grader.sh",
        "ci/allow-bubblewrap.sh",
    ):
        assert (release / path).is_file(), path
    for name in EXERCISE_NAMES:
        assert (release / "exercises" / f"{name}.py").is_file()
    readme = (release / "README.md").read_text(encoding="utf-8")
    assert "pytest exercises" in readme and "快速开始" in readme and "{{" not in readme
    assert not list(release.rglob("__pycache__"))


def test_release_holds_no_solution_and_no_hidden_check(release):
    assert [name for name in FORBIDDEN if (release / name).exists()] == []
    texts = {
        path: path.read_text(encoding="utf-8")
        for path in release.rglob("*")
        if path.is_file() and path.suffix in (".py", ".md", ".toml", ".yml", ".sh", "")
    }
    solutions, checks = function_bodies(ROOT / "solutions"), function_bodies(ROOT / "autograder" / "checks")
    assert len(solutions) >= 20 and len(checks) >= 60
    leaks = [
        (name, str(path.relative_to(release)))
        for name, body in solutions + checks
        for path, text in texts.items()
        if body in text
    ]
    assert leaks == []
    for marker in ("EXERCISE.check(", "ctx.probe(", "ctx.reference_call("):
        assert not any(marker in text for text in texts.values()), marker


def test_nothing_in_the_release_imports_as_solutions_or_autograder(release):
    code = (
        "import importlib.util, sys; sys.path[:0] = [sys.argv[1]]; "
        "print([importlib.util.find_spec(n) is None for n in ('solutions', 'autograder', 'exercises', 'cnnkit')])"
    )
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(release)], capture_output=True, text=True)
    assert done.stdout.strip() == "[True, True, False, False]", done.stderr


def test_release_refuses_a_non_empty_folder_and_the_kit_itself(tmp_path):
    (tmp_path / "work.py").write_text("keep me")
    with pytest.raises(ReleaseError, match="not empty"):
        build_release(tmp_path)
    with pytest.raises(ReleaseError, match="contains the kit"):
        build_release(ROOT.parent)
    build_release(tmp_path, force=True)
    assert (tmp_path / "work.py").read_text() == "keep me" and (tmp_path / "exercises").is_dir()


# -- the student's view -----------------------------------------------------------------------------
def test_public_tests_in_the_release_fail_only_with_the_stub_messages(release, tmp_path):
    repo = shutil.copytree(release, tmp_path / "repo")
    where = subprocess.run(
        [sys.executable, "-c", "import exercises, cnnkit; print(exercises.__file__, cnnkit.__file__)"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=tool_env(),
    )
    assert where.stdout.split() == [str(repo / "exercises" / "__init__.py"), str(repo / "cnnkit" / "__init__.py")]
    junit = tmp_path / "public.xml"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=600,
        env=tool_env(),
    )
    assert done.returncode == 1, done.stdout[-2000:]
    import xml.etree.ElementTree as ET

    cases = list(ET.parse(junit).getroot().iter("testcase"))
    messages = [next(iter(case)).get("message", "") if len(case) else "" for case in cases]
    assert len(cases) >= 60
    assert all("is not implemented yet" in message for message in messages), [
        (c.get("name"), m[:200]) for c, m in zip(cases, messages) if "is not implemented yet" not in m
    ]
    assert "0/8" in done.stdout


# -- the CI files -----------------------------------------------------------------------------------
def run_commands(step: dict) -> list[str]:
    return [line.strip() for line in step.get("run", "").splitlines() if line.strip()]


def assert_commands_exist(commands: list[str], release: Path) -> None:
    """Each command is a known program, and each script it names is in the release."""
    known = {"python", "bash", "sudo", "apt-get"}
    for command in commands:
        for part in re.split(r"&&|\|\|", command):
            words = part.split()
            assert words and words[0] in known, command
            for word in words:
                if word.startswith("ci/"):
                    assert (release / word).is_file() and os.access(release / word, os.X_OK), word


def test_github_workflow_is_valid_and_runs_the_release_scripts(release):
    workflow = yaml.safe_load((release / ".github/workflows/autograde.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "push" in triggers
    steps = workflow["jobs"]["grade"]["steps"]
    assert all(("uses" in s) != ("run" in s) for s in steps)
    for step in steps:
        if "uses" in step:
            assert re.fullmatch(r"actions/[a-z-]+@v\d+", step["uses"]), step["uses"]
        else:
            assert_commands_exist(run_commands(step), release)
    commands = [c for s in steps for c in run_commands(s)]
    assert "bash ci/grade.sh" in commands and "bash ci/install-grader.sh" in commands
    install = next(s for s in steps if run_commands(s) == ["bash ci/install-grader.sh"])
    assert set(install["env"]) == SECRETS
    assert all(value == f"${{{{ secrets.{name} }}}}" for name, value in install["env"].items())
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and "report.json" in upload["with"]["path"]


def test_gitlab_job_is_valid_and_reports_junit(release):
    job = yaml.safe_load((release / ".gitlab-ci.yml").read_text())["autograde"]
    assert job["script"] == ["bash ci/grade.sh"]
    assert "bash ci/install-grader.sh" in job["before_script"]
    assert_commands_exist(job["before_script"] + job["script"], release)
    assert job["artifacts"]["reports"]["junit"] == "report.xml" and job["artifacts"]["when"] == "always"
    assert "report.json" in job["artifacts"]["paths"]


def grade_like_ci(repo: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess, str]:
    summary = tmp_path / "summary.md"
    summary.write_text("")
    env = tool_env() | {"GITHUB_STEP_SUMMARY": str(summary)}
    done = subprocess.run(["bash", "ci/grade.sh"], cwd=repo, capture_output=True, text=True, timeout=1200, env=env)
    return done, summary.read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.needs_data
def test_ci_grading_gives_0_for_the_stubs_and_100_for_the_reference(release, tmp_path):
    import json
    import xml.etree.ElementTree as ET

    from autograder.report import validate

    repo = shutil.copytree(release, tmp_path / "repo")
    done, summary = grade_like_ci(repo, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "Points 0/100"
    assert "cnn-kit grade: 0/100" in summary
    assert "**Sandbox**" in summary and "bubblewrap" in summary.split("**Sandbox**")[1].split("```")[1]
    validate(json.loads((repo / "report.json").read_text()))
    assert ET.parse(repo / "report.xml").getroot().tag == "testsuites"
    for module in (ROOT / "solutions").glob("*.py"):
        shutil.copy(module, repo / "exercises" / module.name)
    done, summary = grade_like_ci(repo, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "Points 100/100", done.stdout[-3000:]
    assert (repo / "report-files" / "training.png").read_bytes()[:4] == b"\x89PNG"


def test_install_grader_needs_a_location(release):
    done = subprocess.run(["bash", "ci/install-grader.sh"], cwd=release, capture_output=True, text=True, env=tool_env())
    assert done.returncode == 1 and "CNNKIT_GRADER_INDEX_URL or CNNKIT_GRADER_REPO" in done.stderr


@pytest.mark.parametrize(
    "secret, value, expected",
    [
        (
            "CNNKIT_GRADER_INDEX_URL",
            "https://u:t@pypi.example.edu/simple/",
            "-m pip install --extra-index-url https://u:t@pypi.example.edu/simple/ cnn-kit=={version}",
        ),
        (
            "CNNKIT_GRADER_REPO",
            "git+https://x-access-token:t@github.com/org/kit.git@v{version}",
            "-m pip install git+https://x-access-token:t@github.com/org/kit.git@v{version}",
        ),
    ],
)
def test_install_grader_installs_from_the_configured_location(release, tmp_path, secret, value, expected):
    """What the script asks pip for, per secret (a recording ``python`` stands in for the real one:
    the private index and repository are the instructor's, out of reach here)."""
    from autograder.ship.release import kit_version

    version = kit_version(ROOT)
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/calls\n')
    (fake / "python").chmod(0o755)
    env = tool_env() | {secret: value.format(version=version), "PATH": f"{fake}{os.pathsep}/usr/bin:/bin"}
    done = subprocess.run(["bash", "ci/install-grader.sh"], cwd=release, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls == [expected.format(version=version), "-m autograder --help"]
