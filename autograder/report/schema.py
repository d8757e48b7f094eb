"""The JSON report's schema (``schema.json``) and its validation."""

from __future__ import annotations

import json
from importlib import resources


def schema() -> dict:
    """The JSON schema of ``runner.results.Report.to_dict``."""
    return json.loads(resources.files(__package__).joinpath("schema.json").read_text())


def validate(data: dict) -> None:
    """Raise ``jsonschema.ValidationError`` if ``data`` is not a valid report. jsonschema is imported
    here, not with the module: its import (the format checkers' grammars) costs as much as PyTorch's,
    and grading never validates."""
    import jsonschema

    jsonschema.validate(data, schema())
