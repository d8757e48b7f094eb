"""Shipping the kit to a course: the student repository (``autograde release``) and the Gradescope
autograder (``autograde gradescope build``). The files they write are kept as templates in
``templates/`` (``{{name}}`` placeholders are filled in)."""

from __future__ import annotations


def add_parsers(commands) -> None:
    """The ``release`` and ``gradescope`` commands of ``autograde``."""
    from . import gradescope, release

    release.add_parser(commands)
    gradescope.add_parser(commands)
