"""Fixtures of the browser tests: the built site, a local web server, and headless Chromium.

Chromium is Debian's package (``apt-get install chromium``), driven by Playwright; Playwright's
own browser download is never used. Without Chromium the browser tests skip, saying so.

The site under test is built once per session with tools/build_site.py: every lesson is rendered
and lessons 00 and 03 (the quick ones) are executed, so that CI does not execute every notebook a
second time (nbval already does). Set ``PPML_SITE_DIR`` to test a site built before, such as the
full site of ``python3 course.py site`` (``PPML_SITE_DIR=build/site``).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ._tools import ROOT, build_site

CHROMIUM = Path(os.environ.get("PPML_CHROMIUM", "/usr/bin/chromium"))
# The network is closed: without these flags Chromium keeps trying to reach its update, sync and
# field-trial services, and floods the log with refused connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXECUTED_IN_CI = ["00", "03"]


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built site: ``$PPML_SITE_DIR``, or one built now from every lesson, executing 00 and 03."""
    given = os.environ.get("PPML_SITE_DIR")
    if given:
        path = Path(given).resolve()
        if not (path / "index.html").is_file():
            pytest.fail(f"PPML_SITE_DIR must be a built site folder with an index.html; got {path}")
        return path
    out = tmp_path_factory.mktemp("site") / "html"
    status = build_site.main(["--out", str(out), "--execute", *EXECUTED_IN_CI])
    assert status == 0, "tools/build_site.py failed: see its output above"
    return out


@pytest.fixture(scope="session")
def site_url(site_dir: Path) -> Iterator[str]:
    """The site served on 127.0.0.1 at a free port, for the duration of the session."""
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A headless Chromium context with a fresh profile; skips where Chromium is not installed."""
    if not CHROMIUM.is_file():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium, or set PPML_CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is missing: install the site extra")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield context
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


def lesson_pages(site: Path) -> list[Path]:
    return sorted((site / "notebooks").glob("[0-9][0-9]_*.html"))


def executed(page: Path) -> bool:
    """Whether the lesson of a page was executed when the site was built (tools/build_site.py says)."""
    manifest = page.parents[1] / build_site.MANIFEST
    return page.stem + ".ipynb" in json.loads(manifest.read_text(encoding="utf-8"))

