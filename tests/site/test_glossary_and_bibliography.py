"""The glossary and the bibliography against the lessons.

- every glossary term is used by some lesson, and a lesson that carries glossary links links every
  term it uses;
- every work a lesson's "Further reading" lists has an entry in docs/references.bib, every entry
  is cited by some lesson, and every key a lesson cites resolves.

The committed lessons stay plain Markdown, so that they read cleanly in JupyterLab (where MyST
roles would show as raw text); tools/build_site.py links the copies it stages for the site with
tools/link_lessons.py. The per-lesson checks therefore test those linked copies: what the site shows.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from ._tools import ROOT, link_lessons

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TERMS = link_lessons.read_glossary()
REFERENCES = link_lessons.read_references()


def _linked_copy(path: Path) -> list[str]:
    notebook = nbformat.read(path, as_version=4)
    link_lessons.link_notebook(notebook, TERMS, REFERENCES)
    return [c.source for c in notebook.cells if c.cell_type == "markdown"]


def test_glossary_names_are_unique() -> None:
    names = [name.lower() for term in TERMS for name in term.names]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert len(TERMS) >= 50


def test_every_glossary_term_is_used_by_a_lesson() -> None:
    used = set()
    for path in LESSONS:
        used |= link_lessons.linked_terms("\n".join(_linked_copy(path)), TERMS)
    unused = [term.names for term in TERMS if term not in used]
    assert not unused, f"glossary terms no lesson uses: {unused}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name[:2])
def test_lesson_links_every_glossary_term_it_uses(path: Path) -> None:
    cells = _linked_copy(path)
    assert link_lessons.linked_terms("\n".join(cells), TERMS), f"{path.name}: the site copy links no glossary term"
    missing = [term.names[0] for term in link_lessons.unlinked_terms(cells, TERMS)]
    assert not missing, f"{path.name} uses these glossary terms without linking them: {missing}"


def test_every_further_reading_item_has_an_entry_and_every_entry_is_cited() -> None:
    cited = set()
    for path in LESSONS:
        notebook = nbformat.read(path, as_version=4)
        missing = link_lessons.link_notebook(notebook, TERMS, REFERENCES)
        assert not missing, f"{path.name}: works without an entry in docs/references.bib: {missing}"
        cited |= set(link_lessons.cited_keys([c.source for c in notebook.cells if c.cell_type == "markdown"]))
    assert cited == set(REFERENCES), f"entries no lesson cites: {sorted(set(REFERENCES) - cited)}"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name[:2])
def test_lesson_citations_resolve(path: Path) -> None:
    cells = _linked_copy(path)
    keys = link_lessons.cited_keys(cells)
    assert keys, f"{path.name}: the site copy cites no key"
    assert set(keys) <= set(REFERENCES), f"unknown keys: {sorted(set(keys) - set(REFERENCES))}"
    assert any("{footbibliography}" in cell for cell in cells), f"{path.name} has no footbibliography block"


def test_references_bib_has_no_duplicate_works() -> None:
    seen = {}
    for key, entry in REFERENCES.items():
        work = (entry["surname"], entry["year"], re.sub(r"\W", "", entry["title"])[:40])
        assert work not in seen, f"{key} and {seen.get(work)} are the same work"
        seen[work] = key
