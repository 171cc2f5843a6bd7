#!/usr/bin/env python3
"""Insert glossary links and citation keys into the lessons' Markdown, mechanically.

    python tools/link_lessons.py notebooks/*.ipynb           # rewrite the lessons in place
    python tools/link_lessons.py --check notebooks/*.ipynb   # list what is missing, exit 1 if any

Glossary: every term of docs/glossary.md (each line of a ``{glossary}`` entry is one of its
names) is linked at its first use in each lesson, as a MyST link to the term,
``[quasi-identifiers](<#quasi-identifier>)`` (Sphinx looks terms up in lower case), which reads as an ordinary link in JupyterLab
and resolves to the glossary on the site. Headings, code, math, links and the "Further reading"
cell are left alone.

Bibliography: every bullet of a lesson's "Further reading" cell gets the key of its entry in
docs/references.bib, as ``{footcite:p}`key```, matched by first author and year (title words
break ties) or by a URL the entry and the bullet share; the cell ends with a
``{footbibliography}`` block, which renders the lesson's references on the site.

Running the tool twice changes nothing the second time. Cell ids and outputs are kept.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "docs" / "glossary.md"
REFERENCES = ROOT / "docs" / "references.bib"
FURTHER_READING = re.compile(r"^#+ Further reading", re.M)
FOOTBIB = "```{footbibliography}\n```"
CITE = re.compile(r"\{footcite(?::[pt])?\}`([^`]+)`")
# Spans that are never rewritten: fenced code, inline code, display and inline math, MyST roles,
# Markdown links and images, autolinks and bare URLs, HTML tags, and heading lines.
PROTECTED = re.compile(
    r"```.*?```"
    r"|`[^`\n]*`"
    r"|\$\$.*?\$\$"
    r"|\$[^$\n]+\$"
    r"|\{[\w:-]+\}`[^`]*`"
    r"|!?\[[^\]\n]*\]\([^)\n]*\)"
    r"|<[^>\n]+>"
    r"|https?://\S+"
    r"|^#[^\n]*$",
    re.S | re.M,
)
GLOSSARY_LINK = re.compile(r"\[[^\]\n]*\]\(<?#([^)>\n]+)>?\)")


@dataclass(frozen=True)
class Term:
    """One glossary entry: its names, the first being the one shown first in the glossary."""

    names: tuple[str, ...]

    def pattern(self, name: str) -> re.Pattern[str]:
        # Lower-case names match at the start of a sentence too; names with capitals match exactly.
        flags = re.I if name == name.lower() else 0
        return re.compile(rf"(?<![\w-]){re.escape(name)}(?:s|es)?(?![\w-])", flags)


def read_glossary(path: Path = GLOSSARY) -> list[Term]:
    """The entries of the ``{glossary}`` block of ``path``, in file order."""
    text = path.read_text(encoding="utf-8")
    match = re.search(r"```\{glossary\}\n(.*?)\n```", text, re.S)
    if match is None:
        raise ValueError(f"{path} must contain a ```{{glossary}} block; found none")
    terms: list[Term] = []
    names: list[str] = []
    for line in match.group(1).splitlines():
        if line.strip() and not line.startswith(" "):
            names.append(line.strip())
        elif names:
            terms.append(Term(tuple(names)))
            names = []
    if names:
        raise ValueError(f"glossary term {names} in {path} has no definition")
    return terms


def _segments(text: str) -> list[tuple[bool, int, int]]:
    """Split ``text`` into (rewritable, start, end) pieces."""
    pieces, position = [], 0
    for match in PROTECTED.finditer(text):
        if match.start() > position:
            pieces.append((True, position, match.start()))
        pieces.append((False, match.start(), match.end()))
        position = match.end()
    if position < len(text):
        pieces.append((True, position, len(text)))
    return pieces


def _first_use(text: str, term: Term) -> tuple[int, int, str] | None:
    """Start, end and name of the term's first unlinked use in the rewritable parts of ``text``."""
    best = None
    for rewritable, start, end in _segments(text):
        if not rewritable:
            continue
        for name in term.names:
            found = term.pattern(name).search(text, start, end)
            if found and (best is None or found.start() < best[0]):
                best = (found.start(), found.end(), name)
        if best is not None:
            return best
    return None


def linked_terms(text: str, terms: list[Term]) -> set[Term]:
    """The terms ``text`` already links to."""
    targets = {target.strip().lower() for target in GLOSSARY_LINK.findall(text)}
    return {term for term in terms if any(name.lower() in targets for name in term.names)}


def link_glossary(cells: list[str], terms: list[Term]) -> list[str]:
    """Link each term at its first use across ``cells`` (Markdown sources, in lesson order)."""
    done = set().union(*(linked_terms(cell, terms) for cell in cells)) if cells else set()
    # Longer names first, so that "Rényi DP" is linked before a shorter name could claim part of it.
    ordered = sorted(terms, key=lambda t: -max(len(n) for n in t.names))
    out = []
    for cell in cells:
        prose, rest = _split_further_reading(cell)
        for term in ordered:
            if term in done:
                continue
            use = _first_use(prose, term)
            if use is not None:
                start, end, name = use
                prose = f"{prose[:start]}[{prose[start:end]}](<#{name.lower()}>){prose[end:]}"
                done.add(term)
        out.append(prose + rest)
    return out


def _split_further_reading(cell: str) -> tuple[str, str]:
    """The cell before its "Further reading" heading (linked) and from it on (left alone)."""
    heading = FURTHER_READING.search(cell)
    return (cell[: heading.start()], cell[heading.start() :]) if heading else (cell, "")


def unlinked_terms(cells: list[str], terms: list[Term]) -> list[Term]:
    """Terms the lesson uses without linking them anywhere."""
    linked = linked_terms("\n".join(cells), terms)
    return [t for t in terms if t not in linked and any(_first_use(_split_further_reading(c)[0], t) for c in cells)]


# ----- bibliography -------------------------------------------------------------------------


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def read_references(path: Path = REFERENCES) -> dict[str, dict[str, str]]:
    """Key -> {"surname", "year", "title", "url"} for every entry of the BibTeX file."""
    from pybtex.database import parse_file

    entries = {}
    for key, entry in parse_file(str(path), bib_format="bibtex").entries.items():
        people = entry.persons.get("author", [])
        surname = " ".join(people[0].last_names) if people else ""
        entries[key] = {
            "surname": _fold(re.sub(r"[{}]", "", surname)),
            "year": entry.fields.get("year", ""),
            "title": _fold(re.sub(r"[{}]", "", entry.fields.get("title", ""))),
            "url": entry.fields.get("url", ""),
        }
    return entries


def keys_for_bullet(bullet: str, references: dict[str, dict[str, str]]) -> list[str]:
    """The keys of the works one "Further reading" bullet cites (empty if none is found)."""
    by_url = [k for k, e in references.items() if e["url"] and e["url"].rstrip("/") in bullet]
    if by_url:
        return sorted(by_url, key=lambda k: bullet.index(references[k]["url"].rstrip("/")))
    match = re.match(r"\s*(?:- )?(.+?) \((\d{4})\)\.\s*(.*)", bullet, re.S)
    if match is None:
        return []
    authors, year, rest = match.groups()
    surname = _fold(authors.split(",")[0].strip())
    candidates = [k for k, e in references.items() if e["year"] == year and e["surname"] == surname]
    if len(candidates) > 1:
        words = set(re.findall(r"[a-z]{4,}", _fold(rest)))
        candidates.sort(key=lambda k: -len(words & set(re.findall(r"[a-z]{4,}", references[k]["title"]))))
    return candidates[:1]


def _bullets(cell: str) -> list[tuple[int, int]]:
    """(start, end) of every top-level bullet after the "Further reading" heading."""
    heading = FURTHER_READING.search(cell)
    starts = [m.start() for m in re.finditer(r"^- ", cell[heading.end():], re.M)] if heading else []
    starts = [heading.end() + s for s in starts]
    ends = starts[1:] + [len(cell)]
    spans = []
    for start, end in zip(starts, ends):
        stop = cell.find("\n\n", start)
        spans.append((start, min(end, stop) if stop != -1 else end))
    return spans


def link_references(cell: str, references: dict[str, dict[str, str]]) -> tuple[str, list[str]]:
    """Append the citation keys to the bullets of a "Further reading" cell.

    Returns the new cell and the bullets for which no entry was found.
    """
    if not FURTHER_READING.search(cell):
        return cell, []
    missing = []
    for start, end in reversed(_bullets(cell)):
        bullet = cell[start:end]
        if CITE.search(bullet):
            continue
        keys = keys_for_bullet(bullet, references)
        if not keys:
            missing.append(" ".join(bullet.split())[:80])
            continue
        stripped = bullet.rstrip()
        cites = " ".join(f"{{footcite:p}}`{key}`" for key in keys)
        cell = f"{cell[:start]}{stripped} {cites}{bullet[len(stripped):]}{cell[end:]}"
    if FOOTBIB not in cell:
        cell = cell.rstrip() + "\n\n" + FOOTBIB
    return cell, missing[::-1]


def cited_keys(cells: list[str]) -> list[str]:
    """Every citation key the cells cite, in order of appearance."""
    return [key.strip() for cell in cells for group in CITE.findall(cell) for key in group.split(",")]


# ----- notebooks ----------------------------------------------------------------------------


def link_notebook(notebook: nbformat.NotebookNode, terms: list[Term], references: dict) -> list[str]:
    """Link one lesson in place; returns the Further reading bullets without a matching entry."""
    markdown = [cell for cell in notebook.cells if cell.cell_type == "markdown"]
    for cell, source in zip(markdown, link_glossary([c.source for c in markdown], terms)):
        cell.source = source
    missing = []
    for cell in markdown:
        cell.source, unmatched = link_references(cell.source, references)
        missing += unmatched
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a lesson needs linking")
    args = parser.parse_args(argv)
    terms, references = read_glossary(), read_references()
    status = 0
    for path in args.notebooks:
        notebook = nbformat.read(path, as_version=4)
        before = [c.source for c in notebook.cells]
        missing = link_notebook(notebook, terms, references)
        changed = [c.source for c in notebook.cells] != before
        for bullet in missing:
            print(f"{path.name}: no entry in references.bib for: {bullet}")
            status = 1
        if changed and args.check:
            print(f"{path.name}: needs linking (run tools/link_lessons.py {path})")
            status = 1
        elif changed:
            nbformat.write(notebook, path)
            print(f"{path.name}: linked")
    return status


if __name__ == "__main__":
    sys.exit(main())
