"""Shipping the kit to a course: the student repository (``autograde release``) and the Gradescope
autograder (``autograde gradescope build``). The files they write are kept as templates in
``templates/`` (``{{name}}`` placeholders are filled in)."""
