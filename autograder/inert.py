"""Text that came from a submission (exception messages, printed output, names, reprs, student ids),
made inert for each place it is shown: it is always read as text, never interpreted.

* ``visible``: terminals and text reports: control characters (escape sequences, carriage returns,
  backspaces), bidirectional overrides and other invisible format characters are written as
  ``\\x1b``-style escapes, so nothing can redraw a screen or hide what it says.
* ``markdown_code`` and ``markdown_text``: Markdown and HTML (feedback.md, the CI job summary):
  a code block no backtick run can close, or text whose Markdown and HTML characters are escaped.
* ``xml_text``: JUnit XML: only characters XML 1.0 allows.
* ``spreadsheet_cell``: CSV gradebooks: a cell a spreadsheet would read as a formula (it begins with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading apostrophe, and control
  characters are shown as escapes.

Every function first replaces lone surrogates (undecodable bytes of file names, ``"\\ud800"`` in
JSON), so the result can always be encoded as UTF-8.
"""

from __future__ import annotations

import html
import re
import unicodedata

#: The characters a spreadsheet reads as the start of a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SURROGATE = re.compile("[\ud800-\udfff]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")
#: Characters XML 1.0 does not allow at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD (it can then be encoded as UTF-8)."""
    return _SURROGATE.sub("\ufffd", text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _invisible(char: str, keep: str) -> bool:
    return char not in keep and unicodedata.category(char) in ("Cc", "Cf")


def visible(text: str, keep: str = "\n\t") -> str:
    """``text`` with every control and invisible format character except those in ``keep`` shown as
    an escape (``\\x1b``, ``\\r``-as-``\\x0d``, ``\\u202e``)."""
    return "".join(_escape(c) if _invisible(c, keep) else c for c in clean(text))


def one_line(text: str) -> str:
    """``visible`` for a single line: line breaks and tabs are shown as escapes too."""
    return visible(text, keep="")


def markdown_code(text: str, indent: str = "") -> str:
    """A fenced code block holding ``text`` literally: the fence is longer than any run of backticks
    in it, and HTML inside a code block is never interpreted."""
    body = visible(text)
    longest = max((len(run) for run in re.findall("`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    lines = [fence, *body.splitlines(), fence]
    return "\n".join(indent + line for line in lines)


def markdown_text(text: str) -> str:
    """``text`` on one line of Markdown: HTML escaped, Markdown's characters backslash-escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(one_line(text), quote=False))


def xml_text(text: str) -> str:
    """``text`` with what XML 1.0 forbids shown as escapes (ElementTree escapes ``<``, ``&``, quotes)."""
    return _NOT_XML.sub(lambda m: _escape(m.group()), visible(text, keep="\n\t\r"))


def spreadsheet_cell(text: str) -> str:
    """A CSV cell that no spreadsheet evaluates (a leading apostrophe where a formula could start)
    and no terminal interprets (``one_line``) when the file is shown."""
    return ("'" if text.startswith(FORMULA_STARTS) else "") + one_line(text)
