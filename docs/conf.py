"""Sphinx configuration: MyST Markdown pages, the CLI reference from click, the hook
reference from the hook specs' docstrings.  Built with warnings as errors:

    sphinx-build -W -b html docs docs/_build/html
"""

from __future__ import annotations

import shoppolicy
from shoppolicy.cli import cli
from shoppolicy.cli_authoring import register

# The authoring commands (coverage, check-sources) live in their own module; register is
# idempotent, so this holds whether or not cli.py has already added them.
register(cli)

project = "shoppolicy"
author = "shoppolicy contributors"
copyright = "shoppolicy contributors"
release = shoppolicy.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx_click",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "requirements.txt"]
root_doc = "index"

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "signature"

html_theme = "furo"
html_title = f"shoppolicy {release}"
