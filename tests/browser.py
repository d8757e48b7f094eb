"""A real headless browser for the reports' pages: Debian's ``chromium``, run once per page.

``open_page`` loads a local HTML file, writes a screenshot and returns what the page's console said
(script errors, blocked requests and content-security-policy violations all land there). Where Chromium
is missing or cannot start, ``require_chromium`` skips the test with the reason, except in CI
(``CI`` set), where the browser is installed by ``.ci/run`` and the test must run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

#: Headless, as root, without a GPU, and without any network or background traffic of its own.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--log-level=0",
)


class BrowserUnavailable(RuntimeError):
    """Chromium is not installed here, or could not start."""


@dataclass
class Page:
    screenshot: Path
    console: list[str]  # what the page logged: errors, blocked loads, policy violations

    def pixels(self) -> np.ndarray:
        with Image.open(self.screenshot) as image:
            return np.asarray(image.convert("RGB"), dtype=np.float64)

    def has_colour(self, hex_colour: str, tolerance: float = 12, at_least: int = 200) -> bool:
        """Whether at least ``at_least`` pixels have this colour (e.g. a histogram's bars)."""
        target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)
        close = np.abs(self.pixels() - target).max(axis=-1) <= tolerance
        return int(close.sum()) >= at_least


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def open_page(page: Path, screenshot: Path, width: int = 1200, height: int = 1600, timeout: float = 120) -> Page:
    """Load ``page`` in a fresh profile, screenshot the first ``width`` x ``height`` pixels."""
    binary = chromium()
    if binary is None:
        raise BrowserUnavailable("chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix="cnnkit-chromium-") as profile:
        command = [
            binary,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            f"--screenshot={screenshot}",
            page.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BrowserUnavailable(f"chromium did not run: {exc}") from None
    if not screenshot.is_file():
        tail = "\n".join(done.stderr.splitlines()[-5:])
        raise BrowserUnavailable(f"chromium exited with {done.returncode} and wrote no screenshot: {tail}")
    return Page(screenshot, [line for line in done.stderr.splitlines() if ":CONSOLE" in line])


def require_chromium(page: Path, screenshot: Path, **size) -> Page:
    """``open_page``, or skip the test with the reason (fail instead in CI, where it must run)."""
    try:
        return open_page(page, screenshot, **size)
    except BrowserUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test must run in CI: {exc}")
        pytest.skip(str(exc))


def assert_not_blank(page: Page) -> None:
    """A screenshot with content: its pixels vary (a blank or single-colour page does not)."""
    pixels = page.pixels()
    assert pixels.std() > 10, f"the screenshot {page.screenshot} looks blank (pixel std {pixels.std():.1f})"
    assert (pixels.mean(axis=-1) < 128).mean() > 0.005, "the screenshot has almost no dark pixels (no text)"
