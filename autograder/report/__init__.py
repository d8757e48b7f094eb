"""Stage 5, report: a graded run rendered for people (text, Markdown) and machines (JSON, JUnit XML,
Gradescope), and the JSON report's schema."""

from .render import FORMATS
from .schema import schema, validate

__all__ = ["FORMATS", "schema", "validate"]
