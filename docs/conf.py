"""Sphinx configuration of the course site (built by `python3 course.py site`, see tools/build_site.py).

The source folder is a staging copy that tools/build_site.py assembles: these docs, the lessons
(with glossary links and citation keys inserted by tools/link_lessons.py) and the generated course
map. Notebooks are executed by myst-nb through a jupyter-cache folder, so that a lesson whose code
has not changed is not executed again.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

project = "ppml-lessons"
author = "ppml-lessons contributors"
copyright = "ppml-lessons contributors, MIT licence"

extensions = ["myst_nb", "sphinx_book_theme", "sphinxcontrib.bibtex"]
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "course_map.md", "prerequisites.md"]
suppress_warnings = ["mystnb.unknown_mime_type"]

# ----- notebooks ---------------------------------------------------------------------------------
nb_execution_mode = os.environ.get("PPML_SITE_EXECUTE", "cache")
nb_execution_cache_path = os.environ.get("PPML_SITE_CACHE", str(ROOT / "build" / "jupyter_cache"))
nb_execution_excludepatterns = [p for p in os.environ.get("PPML_SITE_NO_EXECUTE", "").split(",") if p]
nb_execution_timeout = 900
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "attrs_inline"]
myst_heading_anchors = 3

# ----- bibliography ------------------------------------------------------------------------------
bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "plain"
bibtex_reference_style = "label"

# ----- MathJax, served from the site itself (no CDN) ---------------------------------------------
# tools/build_site.py copies the files into the staged sources' _static folder.
mathjax_path = "mathjax/tex-mml-chtml.js"

# ----- theme -------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "ppml-lessons"
html_favicon = "favicon.svg"
html_copy_source = False
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "navigation_with_keys": False,
}
html_last_updated_fmt = None
# Without a default, the theme logs a console error on a visitor's first page ("invalid theme mode").
html_context = {"default_mode": "auto"}


def _static_from_sources(app, config) -> None:
    """Serve the staged sources' _static folder (html_static_path is relative to docs/ otherwise)."""
    static = Path(app.srcdir) / "_static"
    if static.is_dir():
        config.html_static_path = [*config.html_static_path, str(static)]


def _terms_in_lower_case(app, env) -> None:
    """Register every glossary term under its lower-case name too.

    The lessons link terms as Markdown links, ``[FedAvg](<#fedavg>)``; MyST looks such targets up
    among the terms in lower case, while Sphinx keeps a term's case ("FedAvg").
    """
    objects = env.get_domain("std").data["objects"]
    for (objtype, name), target in list(objects.items()):
        if objtype == "term":
            objects.setdefault((objtype, name.lower()), target)


def setup(app):
    app.connect("config-inited", _static_from_sources)
    app.connect("env-updated", _terms_in_lower_case)
    return {"parallel_read_safe": True}
