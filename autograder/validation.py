"""Every check of a value that comes from a person (flags, configuration files, API arguments).

One module, so each kind of value is accepted the same way everywhere and every refusal says what
was expected and what came. Each function returns the value in its canonical form or raises
``SettingsError``.
"""

from __future__ import annotations

import argparse
import math
import re
from typing import Any, Callable, TypeVar

from . import registry
from .text import LANGUAGES

#: ``--device`` choices: ``auto`` is cuda when PyTorch sees a usable GPU, else cpu.
DEVICES = ("auto", "cpu", "cuda")
#: The least memory a worker can start PyTorch with.
MIN_MEMORY = 256 << 20
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}


class SettingsError(ValueError):
    """A setting (flag, configuration key or argument) that cannot be used."""


def size(value: Any) -> int:
    """Bytes from ``2GiB``, ``512 MiB``, ``2G`` (binary, like ``ulimit``), ``1.5GB`` (decimal) or an integer."""
    if isinstance(value, bool):
        raise SettingsError(f"not a size: {value!r}")
    if isinstance(value, int):
        result = value
    else:
        match = _SIZE.match(str(value))
        if not match:
            raise SettingsError(f"not a size: {value!r} (write e.g. 2GiB, 512MiB or a number of bytes)")
        number, prefix, suffix = match.groups()
        base = 1000 if suffix.lower() == "b" and prefix else 1024
        result = int(float(number) * base ** _POWERS[prefix.lower()])
    if result <= 0:
        raise SettingsError(f"a size must be positive, not {value!r}")
    return result


def memory(value: Any) -> int:
    """A worker's memory: a size of at least ``MIN_MEMORY`` (a worker imports PyTorch)."""
    result = size(value)
    if result < MIN_MEMORY:
        raise SettingsError(f"at least {MIN_MEMORY >> 20} MiB (a worker imports PyTorch), not {value!r}")
    return result


def seconds(value: Any, name: str | None = None) -> float:
    """A positive, finite number of seconds (``name``, if given, says which in the refusal)."""
    which = f"{name}: " if name else ""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SettingsError(f"{which}not a number of seconds: {value!r}")
    try:
        result = float(value)
    except ValueError:
        raise SettingsError(f"{which}not a number of seconds: {value!r}") from None
    if not math.isfinite(result) or result <= 0:
        raise SettingsError(f"{which}seconds must be positive, not {value!r}")
    return result


def count(value: Any) -> int:
    """A positive whole number."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise SettingsError(f"not a positive whole number: {value!r}")
    return value


def whole_number(value: Any) -> int:
    """A whole number of at least 1, as an int or as text (a command-line value)."""
    whole = type(value) is int or (isinstance(value, str) and value.isdigit())
    if not whole or int(value) < 1:
        raise SettingsError(f"expected a whole number of at least 1, got {value!r}")
    return int(value)


def share(value: Any) -> float:
    """A share between 0 (excluded) and 1, e.g. of a submission's code."""
    try:
        result = float(value)
    except (TypeError, ValueError):
        result = float("nan")
    if not 0 < result <= 1:
        raise SettingsError(f"expected a share of code between 0 (excluded) and 1, e.g. 0.5, got {value!r}")
    return result


def percent(value: Any) -> float:
    """A percentage from 0 to 100."""
    try:
        result = float(value)
    except (TypeError, ValueError):
        result = float("nan")
    if not 0 <= result <= 100:
        raise SettingsError(f"expected a percentage from 0 to 100, got {value!r}")
    return result


def sandbox_mode(value: Any) -> str:
    """``"auto"`` (bubblewrap when it works) or ``"off"``; TOML booleans are accepted."""
    if value is True or value == "auto":
        return "auto"
    if value is False or value == "off":
        return "off"
    raise SettingsError(f'bubblewrap must be "auto" or "off", not {value!r}')


def exercises(names: Any) -> tuple[str, ...]:
    """Exercise names checked against the table, in table order (every exercise when empty)."""
    if isinstance(names, str):
        names = [name.strip() for name in names.split(",") if name.strip()]
    try:
        return registry.select(list(names or ()))
    except registry.UnknownExercise as exc:
        raise SettingsError(str(exc)) from None


def language(value: Any) -> str:
    if value not in LANGUAGES:
        raise SettingsError(f"language must be one of {', '.join(LANGUAGES)}, not {value!r}")
    return value


def device(value: Any) -> str:
    """A device choice as given (``auto`` is resolved by ``settings.resolve_device``)."""
    if value not in DEVICES:
        raise SettingsError(f"device must be one of {', '.join(DEVICES)}, not {value!r}")
    return value


def seed(value: Any) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise SettingsError(f"a seed must be a whole number, not {value!r}")
    return value


T = TypeVar("T")


def argument_type(check: Callable[[Any], T]) -> Callable[[str], T]:
    """``check`` as an argparse ``type=``: its refusal becomes argparse's usage error, message kept."""

    def parse(value: str) -> T:
        try:
            return check(value)
        except SettingsError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = check.__name__
    return parse
