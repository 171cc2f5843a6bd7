"""Lesson headers and the README state the run times of benchmarks/results/notebooks.md (tools/sync_run_times.py)."""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("sync_run_times", ROOT / "tools" / "sync_run_times.py")
sync = sys.modules.setdefault("sync_run_times", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(sync)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
FIX = "run tools/sync_run_times.py"


@pytest.fixture(scope="module")
def table():
    return sync.read_table()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_header_states_the_measured_run_time(path, table):
    assert path.name in table, f"{path.name} has no row in benchmarks/results/notebooks.md; measure it"
    assert sync.notebook_sentence(path) == sync.header_sentence(table[path.name]), f"{path.name}: {FIX}"


def test_readme_states_the_measured_run_times(table):
    entries = sync.readme_entries(sync.README.read_text())
    assert entries, "README.md has no lesson table with a run-time column"
    by_lesson = {name[:2]: measurement for name, measurement in table.items()}
    assert {path.name[:2] for path in NOTEBOOKS} <= set(entries), "every lesson has a README row"
    for number, entry in entries.items():
        assert number in by_lesson, f"README lists lesson {number}, which the table does not measure"
        assert entry == sync.readme_entry(by_lesson[number]), f"README.md, lesson {number}: {FIX}"


def test_table_is_read_by_header_names(tmp_path):
    table = tmp_path / "notebooks.md"
    table.write_text(
        "Machine: test\n\n| notebook | peak RSS (GiB) | extra | wall time (s) |\n|---|---:|---|---:|\n"
        "| 00_a.ipynb | 1.5 | x | 123.4 |\n| 10_b.ipynb | 0.25 | y | 7.0 |\n\nA note.\n"
    )
    rows = sync.read_table(table)
    assert rows["00_a.ipynb"] == sync.Measurement("00_a.ipynb", 123.4, 1536.0)
    assert rows["10_b.ipynb"].peak_mb == 256.0
    table.write_text("| notebook | wall time (s) | peak memory |\n|---|---|---|\n| 00_a.ipynb | 1 | 2 |\n")
    with pytest.raises(ValueError, match="must name its unit"):
        sync.read_table(table)


@pytest.mark.parametrize(
    ("seconds", "long", "short"),
    [(2.0, "about 5 seconds", "~5 s"), (8.9, "about 10 seconds", "~10 s"), (76.1, "about 75 seconds", "~75 s"),
     (150.2, "about 2½ minutes", "~2.5 min"), (166.0, "about 3 minutes", "~3 min")],
)
def test_rounding(seconds, long, short):
    measurement = sync.Measurement("00_a.ipynb", seconds, 1638.0)
    expected = f"**Run time:** {long} on a 2-core CPU, peak memory about 1.6 GB"
    assert sync.header_sentence(measurement).startswith(expected)
    assert sync.readme_entry(measurement) == short


def test_rewriting_keeps_what_follows_the_sentence(tmp_path, table, monkeypatch):
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(
        "# 00 · x\n\n**Run time:** about 2 minutes on a laptop, peak memory 3 GB (measured by\n"
        "`benchmarks/run_notebooks.py` on a busy machine), less when idle. Set `FULL = True` for more.")]
    path = tmp_path / "00_start_here.ipynb"
    nbformat.write(notebook, path)
    assert sync.sync_notebook(path, table, write=False) is True
    assert sync.sync_notebook(path, table, write=True) is True
    source = nbformat.read(path, as_version=4).cells[0].source
    wanted = sync.header_sentence(table["00_start_here.ipynb"])
    assert source == "# 00 · x\n\n" + wanted + " Set `FULL = True` for more."
    assert sync.sync_notebook(path, table, write=True) is False  # idempotent


def test_instructor_guide_states_the_measured_times_and_slowest_cells(table):
    lines = sync.guide_lines()
    slow = sync.read_slow_cells()
    assert {path.name[:2] for path in NOTEBOOKS} <= set(lines), "every lesson's guide section has a measured line"
    by_lesson = {name[:2]: name for name in table}
    for number, line in lines.items():
        name = by_lesson[number]
        assert line == sync.guide_line(table[name], slow.get(name, [])), f"docs/instructor_guide.md, lesson {number}: {FIX}"


def test_guide_line_is_added_after_the_slow_cells_bullet_and_then_rewritten(tmp_path):
    guide = tmp_path / "guide.md"
    guide.write_text("# Guide\n\n### 00 · Start\n- **Live:** x\n- **Slow cells:** none,\n  really.\n\n"
                     "### 01 · Next\n- **Live:** y\n\n## Other\n")
    table = {"00_a.ipynb": sync.Measurement("00_a.ipynb", 9.0, 900.0), "01_b.ipynb": sync.Measurement("01_b.ipynb", 130.0, 1700.0)}
    slow = {"01_b.ipynb": [(80.4, "curve = learning_curve(...")]}
    assert sync.sync_guide(table, slow, write=True, path=guide) == ["00", "01"]
    text = guide.read_text()
    assert "  really.\n- **Measured on 2 cores:** about 10 seconds, peak memory about 0.9 GB; no cell takes 2 s or more.\n" in text
    assert ("- **Live:** y\n- **Measured on 2 cores:** about 2 minutes, peak memory about 1.7 GB; slowest cells: "
            "`curve = learning_curve(...` (80 s).\n\n## Other") in text
    assert sync.sync_guide(table, slow, write=True, path=guide) == []  # idempotent
    table["00_a.ipynb"] = sync.Measurement("00_a.ipynb", 20.0, 900.0)
    assert sync.sync_guide(table, slow, write=True, path=guide) == ["00"]
    assert "about 20 seconds" in guide.read_text()


def test_slow_cells_are_read_from_the_second_table(tmp_path):
    path = tmp_path / "notebooks.md"
    path.write_text("| notebook | wall time (s) | peak memory (MB) |\n|---|---:|---:|\n| 00_a.ipynb | 1.0 | 2 |\n\n"
                    "Slowest:\n\n| notebook | seconds | first line of the cell |\n|---|---:|---|\n"
                    "| 00_a.ipynb | 3.5 | `fit(model)` |\n| 00_a.ipynb | 2.1 | `x = 1` |\n")
    assert sync.read_slow_cells(path) == {"00_a.ipynb": [(3.5, "fit(model)"), (2.1, "x = 1")]}


def test_the_site_reads_only_the_first_table(tmp_path):
    """The landing page's times come from the main table, not from the slowest-cells rows below it."""
    spec = importlib.util.spec_from_file_location("build_site_for_test", ROOT / "tools" / "build_site.py")
    build_site = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_site)
    path = tmp_path / "notebooks.md"
    path.write_text("| notebook | wall time (s) | peak memory (MB) |\n|---|---:|---:|\n| 04_a.ipynb | 138.1 | 2036 |\n\n"
                    "| notebook | seconds | first line of the cell |\n|---|---:|---|\n| 04_a.ipynb | 49.6 | `fit()` |\n")
    assert build_site.read_timings(path) == {"04_a.ipynb": ("138.1", "2036")}
