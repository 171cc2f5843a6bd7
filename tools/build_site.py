#!/usr/bin/env python3
"""Build the course website: Sphinx + myst-nb + sphinx-book-theme, offline and strict (-W).

    python3 course.py site                            # every lesson, executed (or from the cache)
    .venv/bin/python tools/build_site.py --execute 00 03    # render every lesson, execute only 00 and 03

Steps: stage docs/ and the lessons in build/site-src (the lessons get their glossary links and
citation keys from tools/link_lessons.py, which changes nothing once the lessons carry them),
generate the course map from benchmarks/results/notebooks.md, copy MathJax from the installed
``django-static-mathjax`` package into the site's static files, then run sphinx-build -W.
Notebooks are executed by myst-nb through a jupyter-cache folder (build/jupyter_cache): a lesson
whose code cells are unchanged since its last execution is taken from the cache, not run again.
The script says which lessons it executes and which it reuses.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import link_lessons  # noqa: E402

DOCS = ROOT / "docs"
NOTEBOOKS = ROOT / "notebooks"
TIMINGS = ROOT / "benchmarks" / "results" / "notebooks.md"
DEFAULT_OUT = ROOT / "build" / "site"
DEFAULT_CACHE = ROOT / "build" / "jupyter_cache"
MANIFEST = "executed_lessons.json"
# MathJax 3 files the site needs: the combined TeX/MathML-to-HTML component, its fonts, and the
# extensions and accessibility components it may load on demand.
MATHJAX_PARTS = ("tex-mml-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions", "a11y", "ui", "adaptors")


def lesson_paths(selection: list[str] | None) -> list[Path]:
    """The lesson notebooks, in order; ``selection`` holds two-digit numbers ("00", "03")."""
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if selection:
        unknown = set(selection) - {p.name[:2] for p in paths}
        if unknown:
            raise SystemExit(f"--lessons must name existing lessons {[p.name[:2] for p in paths]}; got {sorted(unknown)}")
        paths = [p for p in paths if p.name[:2] in selection]
    return paths


def read_timings(path: Path = TIMINGS) -> dict[str, tuple[str, str]]:
    """Notebook name -> (wall time in s, peak memory in MB) from the benchmark table.

    Only the first table counts: the file's later table (each lesson's slowest cells) has rows
    that also start with a notebook's name.
    """
    rows = {}
    in_table = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            if in_table:
                break
            continue
        in_table = True
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].endswith(".ipynb"):
            rows[cells[0]] = (cells[1], cells[2])
    return rows


def _title(notebook: nbformat.NotebookNode) -> str:
    for cell in notebook.cells:
        match = re.search(r"^# (.+)$", cell.source, re.M)
        if cell.cell_type == "markdown" and match:
            return match.group(1).strip()
    return "?"


def prerequisites(notebook: nbformat.NotebookNode) -> list[str]:
    """Two-digit numbers of the lessons named on the notebook's "Prerequisites:" line."""
    for cell in notebook.cells:
        match = re.search(r"\*\*Prerequisites:\*\*(.*?)(?:\n\n|$)", cell.source, re.S)
        if cell.cell_type == "markdown" and match:
            text = match.group(1)
            numbers = re.findall(r"lessons? (\d{1,2})|(?:,|and|or) (\d{1,2})\b|\b(\d{1,2})-(\d{1,2})\b", text)
            found = set()
            for single, more, low, high in numbers:
                if low and high:
                    found.update(range(int(low), int(high) + 1))
                for value in (single, more):
                    if value:
                        found.add(int(value))
            return [f"{n:02d}" for n in sorted(found)]
    return []


def course_map(paths: list[Path], staged: set[str], timings: dict[str, tuple[str, str]]) -> str:
    """The landing page's table: every lesson with its measured run time and memory."""
    lines = ["| | lesson | prerequisites | run time (s) | peak memory (MB) |", "|---|---|---|---:|---:|"]
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        title = _title(notebook).split("·", 1)[-1].strip()
        link = f"[{title}](notebooks/{path.stem}.ipynb)" if path.name in staged else title
        seconds, memory = timings.get(path.name, ("not measured", "not measured"))
        needs = ", ".join(prerequisites(notebook)) or "none"
        lines.append(f"| {path.name[:2]} | {link} | {needs} | {seconds} | {memory} |")
    return "\n".join(lines) + "\n"


def prerequisites_page(paths: list[Path], out: Path) -> str:
    """The prerequisites graph as a figure (written to ``out``) and a table, for the instructor guide."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    needs = {p.name[:2]: prerequisites(nbformat.read(p, as_version=4)) for p in paths}
    depth: dict[str, int] = {}
    for lesson in sorted(needs):  # lessons only build on earlier ones
        depth[lesson] = 1 + max((depth[n] for n in needs[lesson] if n in depth), default=-1)
    layers: dict[int, list[str]] = {}
    for lesson, level in depth.items():
        layers.setdefault(level, []).append(lesson)
    # Within a step, a lesson sits next to those it needs (mean height of its prerequisites), and
    # each step is shifted a little so that no arrow runs straight through another lesson.
    where: dict[str, tuple[float, float]] = {}
    for level in sorted(layers):
        ranked = sorted(layers[level], key=lambda l: -sum(where[n][1] for n in needs[l] if n in where) / max(len(needs[l]), 1))
        for i, lesson in enumerate(ranked):
            where[lesson] = (level, -i + (len(ranked) - 1) / 2 + 0.35 * (level % 2))
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for lesson, required in needs.items():
        for other in required:
            bend = 0.25 if depth[lesson] - depth[other] > 1 else 0.0  # arrows that skip a step curve around
            ax.annotate("", xy=where[lesson], xytext=where[other],
                        arrowprops={"arrowstyle": "-|>", "color": "#555555", "shrinkA": 14, "shrinkB": 14,
                                    "connectionstyle": f"arc3,rad={bend}"})
    for lesson, (x, y) in where.items():
        ax.scatter([x], [y], s=900, color="#56B4E9", edgecolor="#0072B2", zorder=3)
        ax.text(x, y, lesson, ha="center", va="center", fontsize=11, fontweight="bold", zorder=4)
    ax.set_title("Prerequisites between the lessons (an arrow points to the lesson that needs it)")
    ax.set_xlabel("step in the course (longest chain of prerequisites)")
    ax.set_ylabel("lessons at the same step")
    ax.set_xticks(sorted(layers))
    ax.set_yticks([])
    ax.margins(0.15)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    needed_by = {l: sorted(k for k, v in needs.items() if l in v) for l in needs}
    rows = ["| lesson | needs | needed by |", "|---|---|---|"]
    rows += [f"| {l} | {', '.join(needs[l]) or 'none'} | {', '.join(needed_by[l]) or 'none'} |" for l in sorted(needs)]
    alt = "Graph of the lessons' prerequisites; the table below lists the same arrows."
    return f"```{{image}} {out.name}\n:alt: {alt}\n```\n\n" + "\n".join(rows) + "\n"


def copy_mathjax(static: Path) -> None:
    spec = importlib.util.find_spec("mathjax")
    if spec is None or spec.submodule_search_locations is None:
        raise SystemExit("MathJax is missing: install the site extra (pip install -c constraints.txt -e .[site])")
    es5 = Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax" / "es5"
    for part in MATHJAX_PARTS:
        source, target = es5 / part, static / "mathjax" / part
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


_LABELS = {
    "title": re.compile(r"""(?:set_title|suptitle|\btitle)\s*[(=]\s*f?(["'])(.+?)\1"""),
    "horizontal axis": re.compile(r"""(?:set_xlabel|\bxlabel)\s*[(=]\s*f?(["'])(.+?)\1"""),
    "vertical axis": re.compile(r"""(?:set_ylabel|\bylabel)\s*[(=]\s*f?(["'])(.+?)\1"""),
}


def figure_alt_text(code: str, *, lesson: str, number: int) -> str:
    """Alt text for the figures of one code cell: the titles and axis labels its code sets.

    Placeholders of f-strings become "…". A cell that sets none gets a sentence naming the cell.
    """
    parts = []
    for label, pattern in _LABELS.items():
        found = [re.sub(r"\{[^{}]*\}", "…", m.group(2)).replace("\\n", " ") for m in pattern.finditer(code)]
        found = list(dict.fromkeys(f for f in found if f.strip(" …")))
        if found:
            parts.append(f"{label}: {'; '.join(found)}")
    if not parts:
        return f"Figure drawn by code cell {number} of lesson {lesson}; its code sets no title."
    return f"Figure of lesson {lesson}. " + ". ".join(p[0].upper() + p[1:] for p in parts) + "."


def add_alt_text(notebook: nbformat.NotebookNode, lesson: str) -> None:
    """Give the image outputs of every code cell alt text (myst-nb reads cell metadata mystnb.image)."""
    number = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        number += 1
        options = cell.metadata.setdefault("mystnb", {}).setdefault("image", {})
        options.setdefault("alt", figure_alt_text(cell.source, lesson=lesson, number=number))


def stage(src: Path, paths: list[Path]) -> None:
    """Assemble the Sphinx source folder: docs, linked lessons, the course map and MathJax."""
    if src.exists():
        shutil.rmtree(src)
    shutil.copytree(DOCS, src, ignore=shutil.ignore_patterns("conf.py", "_build"))
    (src / "notebooks").mkdir()
    terms, references = link_lessons.read_glossary(), link_lessons.read_references()
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        missing = link_lessons.link_notebook(notebook, terms, references)
        if missing:
            raise SystemExit(f"{path.name}: no entry in docs/references.bib for: {missing}")
        add_alt_text(notebook, path.name[:2])
        nbformat.write(notebook, src / "notebooks" / path.name)
    everything = lesson_paths(None)
    (src / "course_map.md").write_text(course_map(everything, {p.name for p in paths}, read_timings()), encoding="utf-8")
    (src / "prerequisites.md").write_text(prerequisites_page(everything, src / "prerequisites.png"), encoding="utf-8")
    copy_mathjax(src / "_static")


def report_cache(src: Path, cache: Path, to_execute: list[Path]) -> None:
    """Say, per lesson, whether myst-nb will execute it or reuse the cached execution."""
    from jupyter_cache import get_cache

    store = get_cache(str(cache))
    for path in to_execute:
        notebook = nbformat.read(src / "notebooks" / path.name, as_version=4)
        try:
            record = store.match_cache_notebook(notebook)
            print(f"  {path.name}: reusing the cached execution of {record.created:%Y-%m-%d %H:%M}", flush=True)
        except KeyError:
            print(f"  {path.name}: no cached execution of this code; executing it", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the course website.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the HTML (default build/site)")
    parser.add_argument("--lessons", nargs="*", help="only these lessons (two-digit numbers); default all")
    parser.add_argument("--execute", nargs="*", help="execute only these lessons; the others are shown without outputs")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="jupyter-cache folder (default build/jupyter_cache)")
    args = parser.parse_args(argv)
    paths = lesson_paths(args.lessons)
    executed = lesson_paths(args.execute) if args.execute is not None else paths
    executed = [p for p in executed if p in paths]
    out = args.out.resolve()
    src = out.parent / f"{out.name}-src"
    started = time.perf_counter()
    stage(src, paths)
    print(f"Site sources staged in {src} ({len(paths)} lessons); execution cache {args.cache}:", flush=True)
    report_cache(src, args.cache, executed)
    for path in paths:
        if path not in executed:
            print(f"  {path.name}: not executed (shown without outputs)", flush=True)
    env = dict(os.environ, PYTHONHASHSEED="0", PPML_SITE_CACHE=str(args.cache.resolve()),
               PPML_SITE_NO_EXECUTE=",".join(f"notebooks/{p.name}" for p in paths if p not in executed))
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "-c", str(DOCS), str(src), str(out)]
    if out.exists():
        shutil.rmtree(out)
    result = subprocess.run(command, cwd=ROOT, env=env)
    if result.returncode != 0:
        print("The site build failed (warnings count as errors): see the messages above.", file=sys.stderr)
        return result.returncode
    # Which lessons show outputs; the browser tests check those for figures.
    (out / MANIFEST).write_text(json.dumps(sorted(p.name for p in executed)) + "\n", encoding="utf-8")
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"Site built in {time.perf_counter() - started:.0f} s: {out} ({size / 1e6:.1f} MB); open {out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
