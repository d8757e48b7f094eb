"""The JSON report's schema (``schema.json``) and its validation."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema


def schema() -> dict:
    """The JSON schema of ``runner.results.Report.to_dict``."""
    return json.loads(resources.files(__package__).joinpath("schema.json").read_text())


def validate(data: dict) -> None:
    """Raise ``jsonschema.ValidationError`` if ``data`` is not a valid report."""
    jsonschema.validate(data, schema())
