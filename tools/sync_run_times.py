#!/usr/bin/env python3
"""Write the measured run times into the lesson headers and the README, from the one benchmark table.

    .venv/bin/python tools/sync_run_times.py            # rewrite what disagrees with the table
    .venv/bin/python tools/sync_run_times.py --check    # only report; exit 1 if anything disagrees
    .venv/bin/python tools/sync_run_times.py notebooks/09_explainability.ipynb --readme   # one lesson and the README

The one source is ``benchmarks/results/notebooks.md``, written by
``benchmarks/run_notebooks.py --save``. Its table is read by its header names
(a column whose name holds "notebook", one whose name holds "wall" or "time",
one whose name holds "memory" or "RSS", with the unit in parentheses), so
added columns or rows do not break it. For each lesson it rewrites

- the run-time sentence of the notebook's title cell: from ``**Run time:**``
  to the end of the sentence that names ``benchmarks/run_notebooks.py``
  (whatever follows that sentence, e.g. how to run a fuller version, stays);
- the run-time column of the lesson table in ``README.md``;
- the ``- **Measured on 2 cores:**`` line of each lesson's section in
  ``docs/instructor_guide.md``: whole-lesson time, peak memory and the slowest code cells (the
  table's second part), added after the section's "Slow cells" bullet if it is missing.

``tests/test_run_times.py`` fails when a header or the README disagrees with
the table, so a re-measured table is followed by one run of this script.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "benchmarks" / "results" / "notebooks.md"
README = ROOT / "README.md"
GUIDE = ROOT / "docs" / "instructor_guide.md"
GUIDE_PREFIX = "- **Measured on 2 cores:**"
NOTEBOOKS = ROOT / "notebooks"

#: The run-time statement of a title cell: up to the end of the sentence naming the benchmark script.
HEADER_SENTENCE = re.compile(r"\*\*Run time:\*\*.*?benchmarks/run_notebooks\.py.*?\.(?=\s|$)", re.S)
_UNITS_MB = {"b": 2.0**-20, "kb": 2.0**-10, "kib": 2.0**-10, "mb": 1.0, "mib": 1.0, "gb": 1024.0, "gib": 1024.0}


@dataclass(frozen=True)
class Measurement:
    notebook: str
    wall_s: float
    peak_mb: float


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _column(header: list[str], *words: str) -> int:
    for index, name in enumerate(header):
        if any(word in name.lower() for word in words):
            return index
    raise ValueError(f"the table has no column named with any of {words}; its columns are {header}")


def read_table(path: Path = TABLE) -> dict[str, Measurement]:
    """The measurements of ``benchmarks/results/notebooks.md``, by notebook file name."""
    lines = path.read_text().splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("|") and "notebook" in line.lower()), None)
    if start is None:
        raise ValueError(f"{path} holds no table with a 'notebook' column")
    header = _cells(lines[start])
    name_col = _column(header, "notebook")
    time_col = _column(header, "wall", "time")
    memory_col = _column(header, "memory", "rss")
    unit = re.search(r"\((\w+)\)", header[memory_col])
    if unit is None or unit[1].lower() not in _UNITS_MB:
        raise ValueError(f"the memory column {header[memory_col]!r} must name its unit, e.g. '(MB)'")
    scale = _UNITS_MB[unit[1].lower()]
    rows = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = _cells(line)
        name = cells[name_col].strip("`")
        rows[name] = Measurement(name, float(cells[time_col]), float(cells[memory_col]) * scale)
    return rows


def _about(seconds: float) -> tuple[str, str]:
    """(long, short) rounded run time: 5-second steps below 100 s, half minutes above."""
    if seconds < 100:
        rounded = max(5, 5 * round(seconds / 5))
        return f"about {rounded} seconds", f"~{rounded} s"
    halves = round(seconds / 30)
    whole, half = divmod(halves, 2)
    long = f"{whole}½" if half else f"{whole}"
    return f"about {long} minutes", f"~{whole}{'.5' if half else ''} min"


def header_sentence(measurement: Measurement) -> str:
    """The run-time sentence a lesson's title cell carries for this measurement."""
    long, _ = _about(measurement.wall_s)
    return (
        f"**Run time:** {long} on a 2-core CPU, peak memory about {measurement.peak_mb / 1024:.1f} GB (measured by "
        "`benchmarks/run_notebooks.py`; table in `benchmarks/results/notebooks.md`)."
    )


def readme_entry(measurement: Measurement) -> str:
    """The README lesson table's run-time cell for this measurement."""
    return _about(measurement.wall_s)[1]


def notebook_sentence(path: Path) -> str | None:
    """The run-time sentence the notebook's title cell carries now (None if it has none)."""
    first = nbformat.read(path, as_version=4).cells[0]
    match = HEADER_SENTENCE.search(first.source)
    return match[0] if match else None


def measurement_for(table: dict[str, Measurement], path: Path) -> Measurement:
    if path.name not in table:
        raise KeyError(f"{path.name} has no row in {TABLE.relative_to(ROOT)}; measure it with "
                       f"benchmarks/run_notebooks.py")
    return table[path.name]


def sync_notebook(path: Path, table: dict[str, Measurement], *, write: bool) -> bool:
    """Rewrite the title cell's run-time sentence; return True if it disagreed with the table."""
    notebook = nbformat.read(path, as_version=4)
    first = notebook.cells[0]
    match = HEADER_SENTENCE.search(first.source)
    if match is None:
        raise ValueError(f"{path.name}: the title cell has no '**Run time:** ... benchmarks/run_notebooks.py ...' "
                         "sentence to rewrite")
    wanted = header_sentence(measurement_for(table, path))
    if match[0] == wanted:
        return False
    if write:
        first.source = first.source[: match.start()] + wanted + first.source[match.end():]
        nbformat.write(notebook, path)
    return True


def readme_rows(text: str) -> dict[str, tuple[int, int]]:
    """Lesson number -> (line index, column index of the run time) in the README's lesson table."""
    lines = text.splitlines()
    out = {}
    for i, line in enumerate(lines):
        if line.startswith("|") and "lesson" in line.lower() and "run time" in line.lower():
            column = _column(_cells(line), "run time")
            for j in range(i + 2, len(lines)):
                if not lines[j].startswith("|"):
                    break
                number = _cells(lines[j])[0]
                if re.fullmatch(r"\d\d", number):
                    out[number] = (j, column)
            break
    return out


def readme_entries(text: str) -> dict[str, str]:
    """Lesson number -> the README's run-time cell."""
    lines = text.splitlines()
    return {number: _cells(lines[j])[column] for number, (j, column) in readme_rows(text).items()}


def sync_readme(table: dict[str, Measurement], *, write: bool) -> list[str]:
    """Rewrite the README's run-time column; return the lesson numbers that disagreed."""
    text = README.read_text()
    lines = text.splitlines()
    changed = []
    by_lesson = {name[:2]: m for name, m in table.items()}
    for number, (j, column) in readme_rows(text).items():
        if number not in by_lesson:
            raise KeyError(f"README lists lesson {number}, which has no row in {TABLE.relative_to(ROOT)}")
        cells = _cells(lines[j])
        wanted = readme_entry(by_lesson[number])
        if cells[column] != wanted:
            changed.append(number)
            cells[column] = wanted
            lines[j] = "| " + " | ".join(cells) + " |"
    if changed and write:
        README.write_text("\n".join(lines) + ("\n" if text.endswith("\n") else ""))
    return changed


def read_slow_cells(path: Path = TABLE) -> dict[str, list[tuple[float, str]]]:
    """The slowest cells of each notebook, from the table that names "first line" (empty if there is none)."""
    lines = path.read_text().splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("|") and "first line" in line.lower()), None)
    out: dict[str, list[tuple[float, str]]] = {}
    if start is None:
        return out
    header = _cells(lines[start])
    name_col, seconds_col, line_col = _column(header, "notebook"), _column(header, "second"), _column(header, "first line")
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = _cells(line)
        out.setdefault(cells[name_col], []).append((float(cells[seconds_col]), cells[line_col].strip("`")))
    return out


def guide_line(measurement: Measurement, slow: list[tuple[float, str]]) -> str:
    """The instructor guide's measured line for one lesson."""
    long, _ = _about(measurement.wall_s)
    cells = ", ".join(f"`{first}` ({seconds:.0f} s)" for seconds, first in slow)
    return (f"{GUIDE_PREFIX} {long}, peak memory about {measurement.peak_mb / 1024:.1f} GB; "
            + (f"slowest cells: {cells}." if cells else "no cell takes 2 s or more."))


def sync_guide(table: dict[str, Measurement], slow: dict[str, list], *, write: bool, path: Path | None = None) -> list[str]:
    """Rewrite (or add) each lesson section's measured line in the instructor guide; return the lessons changed."""
    path = path or GUIDE
    text = path.read_text()
    lines = text.splitlines()
    by_lesson = {name[:2]: (name, m) for name, m in table.items()}
    changed = []
    heading = re.compile(r"### (\d\d) ·")
    starts = [(i, heading.match(line)[1]) for i, line in enumerate(lines) if heading.match(line)]
    for i, number in reversed(starts):
        if number not in by_lesson:
            raise KeyError(f"the instructor guide has a section for lesson {number}, which {TABLE.name} does not measure")
        name, measurement = by_lesson[number]
        wanted = guide_line(measurement, slow.get(name, []))
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("#")), len(lines))
        current = next((j for j in range(i + 1, end) if lines[j].startswith(GUIDE_PREFIX)), None)
        if current is not None:
            if lines[current] != wanted:
                lines[current] = wanted
                changed.append(number)
            continue
        bullet = next((j for j in range(i + 1, end) if lines[j].startswith("- **Slow cells:**")), None)
        at = end if bullet is None else bullet + 1
        if bullet is not None:
            while at < end and lines[at].startswith("  "):
                at += 1
        else:
            while at > i + 1 and not lines[at - 1].strip():
                at -= 1
        lines.insert(at, wanted)
        changed.append(number)
    if changed and write:
        path.write_text("\n".join(lines) + ("\n" if text.endswith("\n") else ""))
    return sorted(changed)


def guide_lines(path: Path | None = None) -> dict[str, str]:
    """Lesson number -> the guide's measured line (lessons without one are left out)."""
    lines = (path or GUIDE).read_text().splitlines()
    out, number = {}, None
    for line in lines:
        match = re.match(r"### (\d\d) ·", line)
        if match:
            number = match[1]
        elif line.startswith("#"):
            number = None
        elif number and line.startswith(GUIDE_PREFIX):
            out[number] = line
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in notebooks/")
    parser.add_argument("--readme", action="store_true", help="also the README when notebooks are named")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything disagrees")
    args = parser.parse_args()
    table = read_table()
    paths = [p.resolve() for p in args.notebooks] or sorted(NOTEBOOKS.glob("*.ipynb"))
    stale = [p.name for p in paths if sync_notebook(p, table, write=not args.check)]
    if args.readme or not args.notebooks:
        stale += [f"README.md (lesson {n})" for n in sync_readme(table, write=not args.check)]
    if not args.notebooks:
        stale += [f"docs/instructor_guide.md (lesson {n})"
                  for n in sync_guide(table, read_slow_cells(), write=not args.check)]
    verb = "disagree with" if args.check else "rewritten from"
    print(f"{len(stale)} {verb} {TABLE.relative_to(ROOT)}" + "".join(f"\n  {name}" for name in stale))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
