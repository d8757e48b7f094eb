"""The JSON report's schema (``schema.json``) and its validation."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jsonschema


def schema() -> dict:
    """The JSON schema of ``runner.results.Report.to_dict``."""
    return json.loads(resources.files(__package__).joinpath("schema.json").read_text())


@cache
def _validator() -> jsonschema.protocols.Validator:
    """The schema checked once and compiled once (``jsonschema.validate`` does both on every call).
    jsonschema is imported here, not with the module: its import (the format checkers' grammars) costs
    as much as PyTorch's, and grading never validates."""
    import jsonschema

    data = schema()
    cls = jsonschema.validators.validator_for(data)
    cls.check_schema(data)
    return cls(data)


def validate(data: dict) -> None:
    """Raise ``jsonschema.ValidationError`` if ``data`` is not a valid report (the most relevant error,
    as ``jsonschema.validate`` raises it)."""
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        raise error
