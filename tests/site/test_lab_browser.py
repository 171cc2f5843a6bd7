"""JupyterLab as a learner starts it: `python3 course.py lab`, then run the first cell of lesson 00.

The server listens on 127.0.0.1 only, on a free port, with a token the test chooses; JupyterLab's
autosave is switched off through a settings folder of the test's own, so that the lesson file is
never written (the test also checks that it is unchanged). The lab process and its kernels are
always stopped, whatever the test's outcome.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ._tools import ROOT

pytestmark = pytest.mark.slow
LESSON = ROOT / "notebooks" / "00_start_here.ipynb"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"course.py lab exited early with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError(f"JupyterLab did not answer at {url} within {timeout:.0f} s")


def _stop(process: subprocess.Popen) -> None:
    """Stop the lab server and its kernels (one process group), politely first."""
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGINT, 10), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[str]:
    """`course.py lab` on 127.0.0.1 at a free port; yields the URL of lesson 00 with its token."""
    port, token = _free_port(), secrets.token_hex(16)
    settings = tmp_path / "lab-settings" / "@jupyterlab" / "docmanager-extension"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    env = dict(
        os.environ,
        PPML_VENV=sys.prefix,  # the environment running this test, which course.py then reuses
        JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lab-workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
    )
    command = [
        sys.executable, "course.py", "lab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    log = open(tmp_path / "lab.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/api/status?token={token}", process)
        # course.py opens notebooks/00_start_here.ipynb, so JupyterLab serves the notebooks folder.
        yield f"http://127.0.0.1:{port}/lab/tree/{LESSON.name}?token={token}"
    except AssertionError:
        log.flush()
        print((tmp_path / "lab.log").read_text()[-3000:])
        raise
    finally:
        _stop(process)
        log.close()
    assert process.poll() is not None, "the lab process is still running"


def test_learner_runs_the_first_cell_of_lesson_00_in_jupyterlab(browser, lab: str, tmp_path: Path) -> None:
    before = LESSON.read_bytes()
    page = browser.new_page()
    try:
        page.goto(lab, wait_until="domcontentloaded")
        first_code_cell = page.locator(".jp-NotebookPanel .jp-CodeCell").first
        first_code_cell.wait_for(timeout=120_000)
        # The status bar reads "Python 3 (ipykernel) | Idle" once the kernel is ready for the cell.
        page.get_by_text(re.compile(r"\| Idle$")).first.wait_for(timeout=120_000)
        first_code_cell.locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        output = first_code_cell.locator(".jp-OutputArea-output")
        output.first.wait_for(timeout=180_000)
        text = output.first.inner_text()
    except Exception:
        page.screenshot(path=str(tmp_path / "lab.png"))
        print(f"screenshot of the failure: {tmp_path / 'lab.png'}")
        raise
    finally:
        page.close()
    assert text.startswith("computing on:"), text
    assert LESSON.read_bytes() == before, "JupyterLab changed the lesson file"
