"""What the two HTML reports share: the Jinja2 environment (student text is untrusted: every value is
made ``inert.visible``, then HTML-escaped), the page's inline style and content security policy, and
pictures as data URIs."""

from __future__ import annotations

import base64
from functools import cache

from ..inert import visible

#: No script, no request: the page shows only what it carries (inline style, data: images).
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


@cache
def environment():
    """Templates of ``autograder/insights/templates``; every ``{{ value }}`` that is text has its control
    and invisible characters (terminal escapes, bidirectional overrides) shown as escapes, and is HTML-escaped."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("autograder.insights", "templates"),
        autoescape=True,
        finalize=shown,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["percent"] = percent
    env.filters["number"] = number
    return env


def shown(value):
    """A template value as the page shows it: text made visible (markup the templates made is kept)."""
    import markupsafe

    return visible(value) if isinstance(value, str) and not isinstance(value, markupsafe.Markup) else value


def render(template: str, **values) -> str:
    return environment().get_template(template).render(csp=CSP, **values)


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
