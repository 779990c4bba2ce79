"""The Chromium the browser tests and the benchmarks drive, and how they start it: one
place, so that a figure measured here is measured in the browser the tests use."""

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def launch(playwright):
    """A headless Chromium started with :data:`ARGS`."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
