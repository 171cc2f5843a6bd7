"""tools/link_lessons.py on small fixture lessons: glossary links at first use, citation keys."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from ._tools import link_lessons

GLOSSARY = """# Glossary

```{glossary}
differential privacy
  A guarantee.

sensitivity
  How much one person moves an answer.

Rényi DP
RDP
  A relaxation.

quasi-identifier
  A column that identifies in combination.

unused term
  Used by no lesson.
```
"""
BIB = """@book{dwork2014algorithmic,
  author = {Dwork, C. and Roth, A.},
  title = {{The Algorithmic Foundations of Differential Privacy}},
  year = {2014},
  publisher = {Now},
}
@inproceedings{kairouz2021distributed,
  author = {Kairouz, P. and Liu, Z. and Steinke, T.},
  title = {{The Distributed Discrete Gaussian Mechanism}},
  year = {2021},
  booktitle = {ICML},
}
@article{kairouz2021advances,
  author = {Kairouz, P. and McMahan, H. B.},
  title = {{Advances and Open Problems in Federated Learning}},
  year = {2021},
  journal = {FnT},
}
@misc{fernet,
  author = {{Fernet authors}},
  title = {{Fernet Spec}},
  url = {https://github.com/fernet/spec},
}
"""
FURTHER = """## Summary

Quasi-identifiers and differential privacy once more.

## Further reading

- Dwork, C. & Roth, A. (2014). *The Algorithmic Foundations of Differential Privacy*. Now.
- Kairouz, P., Liu, Z. & Steinke, T. (2021). The Distributed Discrete Gaussian Mechanism for
  Federated Learning with Secure Aggregation. *Proceedings of ICML 2021*.
- The Fernet specification: https://github.com/fernet/spec
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[list, dict]:
    (tmp_path / "glossary.md").write_text(GLOSSARY, encoding="utf-8")
    (tmp_path / "references.bib").write_text(BIB, encoding="utf-8")
    return link_lessons.read_glossary(tmp_path / "glossary.md"), link_lessons.read_references(tmp_path / "references.bib")


def _lesson() -> nbformat.NotebookNode:
    notebook = new_notebook(
        cells=[
            new_markdown_cell("# 98 · Fixture\n\n- meet differential privacy;\n- see why quasi-identifiers matter."),
            new_code_cell("sensitivity = 1.0  # differential privacy in code is never linked"),
            new_markdown_cell(
                "## Sensitivity first\n\nThe `sensitivity` in code and $\\Delta_\\text{sensitivity}$ in math stay. "
                "The sensitivity of a count is one; differential privacy again; "
                "[a link about sensitivity](https://example.org/sensitivity).\n\nRDP composes, and so does Rényi DP."
            ),
            new_markdown_cell(FURTHER),
        ]
    )
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"
    return notebook


def _markdown(notebook: nbformat.NotebookNode) -> list[str]:
    return [c.source for c in notebook.cells if c.cell_type == "markdown"]


def test_read_glossary_groups_the_names_of_each_term(files) -> None:
    terms, _ = files
    assert [t.names for t in terms] == [
        ("differential privacy",), ("sensitivity",), ("Rényi DP", "RDP"), ("quasi-identifier",), ("unused term",)
    ]


def test_glossary_terms_are_linked_once_at_their_first_use_in_prose(files) -> None:
    terms, references = files
    notebook = _lesson()
    assert link_lessons.link_notebook(notebook, terms, references) == []
    title, sections, further = _markdown(notebook)
    assert "meet [differential privacy](<#differential privacy>);" in title
    assert "[quasi-identifiers](<#quasi-identifier>) matter" in title  # a plural keeps its ending
    assert notebook.cells[1].source.startswith("sensitivity = 1.0  # differential privacy")  # code untouched
    assert sections.startswith("## Sensitivity first\n")  # headings untouched
    assert "`sensitivity`" in sections and "$\\Delta_\\text{sensitivity}$" in sections  # code and math untouched
    assert "The [sensitivity](<#sensitivity>) of a count" in sections
    assert "differential privacy again" in sections  # linked once per lesson, at its first use
    assert "[a link about sensitivity](https://example.org/sensitivity)" in sections
    assert "[RDP](<#rdp>) composes, and so does Rényi DP." in sections  # one link per term, whichever name
    assert "Quasi-identifiers and differential privacy once more." in further  # Further reading untouched


def test_citation_keys_are_appended_to_each_further_reading_bullet(files) -> None:
    terms, references = files
    notebook = _lesson()
    link_lessons.link_notebook(notebook, terms, references)
    further = _markdown(notebook)[-1]
    assert "Now. {footcite:p}`dwork2014algorithmic`\n" in further
    # Same first author and year as kairouz2021advances: the title words decide.
    assert "*Proceedings of ICML 2021*. {footcite:p}`kairouz2021distributed`\n" in further
    assert "https://github.com/fernet/spec {footcite:p}`fernet`" in further  # matched by its URL
    assert further.rstrip().endswith("```{footbibliography}\n```")
    assert link_lessons.cited_keys(_markdown(notebook)) == ["dwork2014algorithmic", "kairouz2021distributed", "fernet"]


def test_linking_twice_changes_nothing(files) -> None:
    terms, references = files
    notebook = _lesson()
    link_lessons.link_notebook(notebook, terms, references)
    once = [c.source for c in notebook.cells]
    link_lessons.link_notebook(notebook, terms, references)
    assert [c.source for c in notebook.cells] == once
    assert [c.id for c in notebook.cells] == [f"cell-{n}" for n in range(4)]


def test_unlinked_terms_lists_terms_used_without_a_link(files) -> None:
    terms, references = files
    notebook = _lesson()
    before = {t.names[0] for t in link_lessons.unlinked_terms(_markdown(notebook), terms)}
    assert before == {"differential privacy", "sensitivity", "Rényi DP", "quasi-identifier"}
    link_lessons.link_notebook(notebook, terms, references)
    assert link_lessons.unlinked_terms(_markdown(notebook), terms) == []


def test_a_bullet_without_an_entry_is_reported(files) -> None:
    terms, references = files
    notebook = _lesson()
    notebook.cells[-1].source += "- Nobody, A. (1900). Not in the bibliography. *Nowhere*.\n"
    missing = link_lessons.link_notebook(notebook, terms, references)
    assert missing == ["- Nobody, A. (1900). Not in the bibliography. *Nowhere*."]


def test_command_line_check_and_rewrite(files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(link_lessons, "GLOSSARY", tmp_path / "glossary.md")
    monkeypatch.setattr(link_lessons, "REFERENCES", tmp_path / "references.bib")
    path = tmp_path / "98_fixture.ipynb"
    nbformat.write(_lesson(), path)
    original = path.read_bytes()
    assert link_lessons.main(["--check", str(path)]) == 1
    assert path.read_bytes() == original
    assert "needs linking" in capsys.readouterr().out
    assert link_lessons.main([str(path)]) == 0
    assert link_lessons.main(["--check", str(path)]) == 0


def test_read_glossary_rejects_a_file_without_a_glossary(tmp_path: Path) -> None:
    path = tmp_path / "glossary.md"
    path.write_text("# Glossary\n\nNo block here.\n", encoding="utf-8")
    with pytest.raises(ValueError, match="glossary"):
        link_lessons.read_glossary(path)
