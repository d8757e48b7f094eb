"""One ``Settings`` per run: its validation, the configuration file and the flags that build it."""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from autograder import cli, config, provenance, validation
from autograder.settings import Settings, WorkerConfig
from autograder.validation import SettingsError

ROOT = Path(__file__).resolve().parents[2]


def test_sizes():
    assert validation.size("2GiB") == validation.size("2G") == 2 << 30
    assert validation.size("512 MiB") == 512 << 20 and validation.size("1.5GB") == 1_500_000_000
    for bad in ("lots", "-1G", "0", True):
        with pytest.raises(SettingsError):
            validation.size(bad)
    with pytest.raises(SettingsError, match="at least 256 MiB"):
        validation.memory("1MiB")


def test_every_refusal_says_what_came():
    for check, bad in (
        (validation.seconds, "-3"),
        (validation.count, 0),
        (validation.percent, "160"),
        (validation.sandbox_mode, "maybe"),
        (validation.language, "fr"),
        (validation.device, "tpu"),
        (validation.seed, 1.5),
        (validation.exercises, "nosuch"),
    ):
        with pytest.raises(SettingsError) as info:
            check(bad)
        assert str(bad) in str(info.value), (check, str(info.value))


def test_settings_validate_and_order_exercises():
    settings = Settings(exercises=["pooling", "corr2d"])
    assert settings.exercises == ("corr2d", "pooling")
    for bad in ({"exercises": ["nosuch"]}, {"lang": "fr"}, {"device": "auto"}, {"max_examples": 0}, {"seed": "7"}):
        with pytest.raises(SettingsError):
            Settings(**bad)
    with pytest.raises(SettingsError):
        WorkerConfig(sandbox="sometimes")
    assert WorkerConfig(sandbox=False).sandbox == "off"


def test_the_worker_follows_the_run():
    """Training on a GPU gives the workers the GPU; the run's data folder is the one they are shown."""
    settings = Settings(device="cuda", data_root="/data")
    assert settings.worker.gpu and settings.worker.data_dir == "/data"
    assert not Settings().worker.gpu and Settings().worker.data_dir is None
    assert settings.replace(seed=3).seed == 3 and settings.replace(seed=3).worker == settings.worker


def test_key_is_what_a_stored_grade_depends_on():
    assert Settings(seed=1).key() != Settings().key()
    assert Settings(exercises=["corr2d"]).key()["exercises"] == ["corr2d"]
    # the limits that can change a grade, and the grader itself
    assert Settings(worker=WorkerConfig(call_timeout=5)).key() != Settings().key()
    assert Settings(worker=WorkerConfig(sandbox="off")).key()["limits"]["sandbox"] == "off"
    limits = Settings().key()["limits"]
    assert limits["scratch_bytes"] == 256 << 20 and limits["scratch_files"] == 10_000  # the capped scratch too
    assert Settings(worker=WorkerConfig(scratch_files=100)).key() != Settings().key()
    assert Settings().key()["grader"] == provenance.grader_identity()
    # where the data is, and the GPU (it follows the device), do not
    assert Settings(data_root="/elsewhere").key() == Settings().key()
    assert Settings(worker=WorkerConfig(gpu=True)).key() == Settings().key()
    assert json.loads(json.dumps(Settings().key())) == Settings().key()  # stored in meta.json as it is


def test_the_checks_hash_follows_every_file_of_the_checks(tmp_path):
    checks = tmp_path / "checks"
    shutil.copytree(ROOT / "autograder" / "checks", checks, ignore=shutil.ignore_patterns("__pycache__"))
    before = provenance.hash_folders({"checks": checks})
    assert before == provenance.hash_folders({"checks": ROOT / "autograder" / "checks"})
    (checks / "__pycache__").mkdir(exist_ok=True)
    (checks / "__pycache__" / "x.pyc").write_bytes(b"cache")
    assert provenance.hash_folders({"checks": checks}) == before
    calibration = checks / "training" / "calibration.json"
    calibration.write_text(calibration.read_text() + " ")
    assert provenance.hash_folders({"checks": checks}) != before


def test_config_file(tmp_path):
    path = tmp_path / "grader.toml"
    path.write_text('[limits]\nmemory = "2GiB"\ncall_timeout = 30\ncpu_seconds = 600\n[sandbox]\nbubblewrap = "off"\n')
    assert config.load_config(path) == {
        "memory_bytes": 2 << 30,
        "call_timeout": 30.0,
        "cpu_seconds": 600,
        "sandbox": "off",
    }
    for text, message in (
        ('[limits]\nmemroy = "2GiB"\n', "memroy"),
        ('[limits]\nmemory = "1MiB"\n', "at least"),
        ("[limts]\n", "unknown table"),
        ("[sandbox]\ndata = 3\n", "must be a path"),
        ("not toml = = 1", "not valid TOML"),
    ):
        path.write_text(text)
        with pytest.raises(SettingsError, match=message):
            config.load_config(path)
    with pytest.raises(SettingsError, match="cannot read"):
        config.load_config(tmp_path / "missing.toml")


def parse(*args: str) -> Settings:
    parser = argparse.ArgumentParser()
    config.add_settings_options(parser)
    return config.settings_from_args(parser.parse_args(list(args)))


def test_flags_override_the_config_file(tmp_path):
    path = tmp_path / "grader.toml"
    path.write_text('[limits]\nmemory = "2GiB"\ncall_timeout = 30\nprocesses = 64\n')
    worker = parse("--config", str(path), "--timeout", "7", "--no-sandbox", "--device", "cpu").worker
    assert (worker.memory_bytes, worker.call_timeout, worker.processes, worker.sandbox) == (2 << 30, 7.0, 64, "off")


def test_flag_defaults_are_the_settings_defaults():
    settings = parse("--device", "cpu")
    assert settings == Settings()
    assert dataclasses.asdict(settings.worker) == dataclasses.asdict(WorkerConfig())
    assert settings.worker.memory_bytes >= 2 << 30 and settings.worker.call_timeout >= 20  # room for training
    assert parse("--only", "pooling,corr2d", "--only", "lenet", "--device", "cpu").exercises == (
        "corr2d",
        "pooling",
        "lenet",
    )


def test_bad_flags_are_usage_errors(tmp_path, capsys):
    for bad in (
        ["--memory", "lots"],
        ["--timeout", "-3"],
        ["--config", str(tmp_path / "missing.toml")],
        ["--only", "nosuch"],
        ["--fail-under", "160"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["grade", "solutions", *bad])
        assert exit_info.value.code == 2
        assert "error" in capsys.readouterr().err


def test_time_budgets_from_the_config_file_and_flags(tmp_path):
    path = tmp_path / "grader.toml"
    path.write_text("[limits]\nexercise_time = 90\nsubmission_time = 600\n")
    assert config.load_config(path) == {"exercise_seconds": 90.0, "submission_seconds": 600.0}
    worker = parse("--config", str(path), "--exercise-time", "45", "--device", "cpu").worker
    assert (worker.exercise_seconds, worker.submission_seconds) == (45.0, 600.0)
    assert parse("--submission-time", "120", "--device", "cpu").worker.submission_seconds == 120.0
    path.write_text("[limits]\nexercise_time = 0\n")
    with pytest.raises(SettingsError, match=r"\[limits\] exercise_time: seconds must be positive, not 0"):
        config.load_config(path)
    with pytest.raises(SettingsError, match="submission_seconds: not a number of seconds: 'soon'"):
        WorkerConfig(submission_seconds="soon")
    for bad in (["--exercise-time", "0"], ["--submission-time", "never"]):
        with pytest.raises(SystemExit):
            parse(*bad, "--device", "cpu")
