"""The built website, in headless Chromium: pages, links, figures, math and search."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from ._tools import build_site
from .conftest import executed, lesson_pages

pytestmark = pytest.mark.slow


def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)


def _open(context, url: str):
    """Open ``url`` in a new tab; return the tab and the problems it reported while loading."""
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(url, wait_until="networkidle")
    return page, problems


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("id", "name"):
            if values.get(name):
                self.ids.add(values[name])
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"])


def _parse(path: Path) -> _Anchors:
    parser = _Anchors()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_site_has_every_page(site_dir: Path) -> None:
    names = {p.name for p in lesson_pages(site_dir)}
    lessons = {p.stem + ".html" for p in (Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert names == lessons
    for page in ("index.html", "glossary.html", "bibliography.html", "instructor_guide.html", "search.html"):
        assert (site_dir / page).is_file(), page


def test_every_internal_link_resolves(site_dir: Path) -> None:
    parsed = {page: _parse(page) for page in _pages(site_dir)}
    broken = []
    checked = 0
    for page, anchors in parsed.items():
        for href in anchors.hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            checked += 1
            if not target.is_file():
                broken.append(f"{page.relative_to(site_dir)}: {href} (no such file)")
            elif parts.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{page.relative_to(site_dir)}: {href} (no such anchor)")
    assert checked > 100, f"only {checked} internal links found: is the site complete?"
    assert not broken, "\n".join(broken)


def test_every_page_loads_without_console_errors(browser, site_url: str, site_dir: Path) -> None:
    failures = {}
    for path in _pages(site_dir):
        page, problems = _open(browser, f"{site_url}/{path.relative_to(site_dir).as_posix()}")
        page.close()
        if problems:
            failures[path.name] = problems
    assert not failures, failures


def test_every_executed_lesson_shows_its_figures(browser, site_url: str, site_dir: Path) -> None:
    shown = {}
    for path in lesson_pages(site_dir):
        if not executed(path):
            continue
        page, problems = _open(browser, f"{site_url}/notebooks/{path.name}")
        images = page.eval_on_selector_all(
            "article img", "els => els.map(e => ({src: e.src, ok: e.complete && e.naturalWidth > 0, alt: e.alt}))"
        )
        page.close()
        assert not problems, problems
        assert images, f"{path.name} shows no figure"
        broken = [i["src"] for i in images if not i["ok"]]
        assert not broken, f"{path.name}: images that did not load: {broken}"
        missing_alt = [i["src"] for i in images if not i["alt"].strip() or i["alt"].endswith(".png")]
        assert not missing_alt, f"{path.name}: images without alt text: {missing_alt}"
        shown[path.name] = len(images)
    assert shown, "no lesson page was executed: the site shows no outputs"
    assert "00_start_here.html" in shown


def test_math_is_typeset_by_the_bundled_mathjax(browser, site_url: str, site_dir: Path) -> None:
    page, problems = _open(browser, f"{site_url}/notebooks/03_dp_basics.html")
    scripts = page.eval_on_selector_all("script[src*='mathjax']", "els => els.map(e => e.src)")
    page.wait_for_selector("mjx-container", timeout=30_000)
    count = page.locator("mjx-container").count()
    page.close()
    assert not problems, problems
    assert scripts and all(s.startswith(site_url) for s in scripts), scripts
    assert count > 10


def test_search_finds_the_dp_sgd_lesson_for_clipping(browser, site_url: str) -> None:
    page, problems = _open(browser, f"{site_url}/search.html?q=clipping")
    page.wait_for_selector("#search-results ul li", timeout=30_000)
    links = page.eval_on_selector_all("#search-results ul li a", "els => els.map(e => e.getAttribute('href'))")
    page.close()
    assert not problems, problems
    assert any(re.search(r"notebooks/04_dp_sgd\.html", href or "") for href in links), links


def test_landing_page_shows_the_course_map_with_measured_times(browser, site_url: str) -> None:
    page, problems = _open(browser, f"{site_url}/index.html")
    rows = page.eval_on_selector_all("article table tbody tr", "els => els.map(e => e.innerText)")
    nav = page.eval_on_selector_all("nav.bd-docs-nav a", "els => els.map(e => e.innerText.trim())")
    page.close()
    assert not problems, problems
    assert len(rows) == len(list((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.ipynb")))
    seconds, memory = build_site.read_timings()["04_dp_sgd.ipynb"]
    assert rows[4].startswith("04") and seconds in rows[4] and memory in rows[4], rows[4]
    lessons = [n for n in nav if re.match(r"\d\d ·", n)]
    assert lessons == sorted(lessons) and len(lessons) == len(rows), nav
