"""Import the maintainer scripts of tools/ (they are scripts, not part of the package)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import build_site  # noqa: E402
import link_lessons  # noqa: E402

__all__ = ["ROOT", "build_site", "link_lessons"]
