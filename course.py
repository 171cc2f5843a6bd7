#!/usr/bin/env python3
"""Set up and run the ppml-lessons course with one command.

    python3 course.py lab     # open the course in JupyterLab
    python3 course.py test    # run every unit test and execute every notebook
    python3 course.py site    # build the course website into build/site (tools/build_site.py)

The first call creates a virtual environment in .venv and installs the course
into it with the exact versions in constraints.txt; later calls reuse it and
reinstall only when constraints.txt or pyproject.toml change. Extra arguments
after `test` go to pytest (e.g. `python3 course.py test tests/data -x`), and
after `site` to tools/build_site.py (e.g. `python3 course.py site --lessons 00 03`).
Set PPML_VENV to put the environment elsewhere.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("PPML_VENV", ROOT / ".venv")).resolve()
STAMP = VENV / ".ppml-lessons-installed"
MIN_PYTHON = (3, 11)


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("constraints.txt", "pyproject.toml"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def _run(*args: object) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True)


def ensure_environment() -> Path:
    """Create .venv and install the pinned course environment if it is missing or stale."""
    if sys.version_info < MIN_PYTHON:
        sys.exit(f"ppml-lessons needs Python {'.'.join(map(str, MIN_PYTHON))} or newer; this is {sys.version.split()[0]}")
    if STAMP.exists() and STAMP.read_text().strip() == _fingerprint() and _python().exists():
        return _python()
    if not _python().exists():
        print(f"Creating the course environment in {VENV} (first run only, about 2 minutes)...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    _run(_python(), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _run(_python(), "-m", "pip", "install", "--quiet", "-c", "constraints.txt", "-e", ".[test,site]")
    STAMP.write_text(_fingerprint() + "\n")
    return _python()


def running_as_root() -> bool:
    """True when this process runs as root (POSIX); False where there is no such notion (Windows)."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and geteuid() == 0


def lab_command(python: Path | str, extra: list[str], *, as_root: bool | None = None) -> list[str]:
    """The JupyterLab command line; as root (a container, a cloud VM) it adds ``--allow-root``.

    JupyterLab refuses to start as root without that flag ("Running as root is
    not recommended"), which would leave a container user with no lab at all.
    """
    as_root = running_as_root() if as_root is None else as_root
    command = [str(python), "-m", "jupyter", "lab", "notebooks/00_start_here.ipynb", *extra]
    if as_root and "--allow-root" not in extra:
        command.append("--allow-root")
    return command


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"lab", "test", "site"}:
        print(__doc__)
        return 2
    python = ensure_environment()
    if argv[0] == "lab":
        command = lab_command(python, argv[1:])
        if "--allow-root" in command and "--allow-root" not in argv[1:]:
            print("Running as root (e.g. in a container): starting JupyterLab with --allow-root.", flush=True)
        return subprocess.call(command, cwd=ROOT)
    if argv[0] == "site":
        return build_site(python, argv[1:])
    env = dict(os.environ, PYTHONHASHSEED="0")
    return subprocess.call([str(python), "-m", "pytest", *argv[1:]], cwd=ROOT, env=env)


def build_site(python: Path, args: list[str]) -> int:
    """Build the website into build/site: every lesson executed, or reused from build/jupyter_cache."""
    return subprocess.call([str(python), "tools/build_site.py", *args], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
