"""Sphinx's settings for salwidgets' documentation: ``make docs`` builds it into build/docs/.

Pages are Markdown (MyST); the reference's API pages are read from the code's docstrings, so
Django is set up with the demo site's settings first.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salsite.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django  # noqa: E402

django.setup()

from salwidgets import __version__  # noqa: E402

project = "salwidgets"
author = "salwidgets' authors"
copyright = "salwidgets' authors, MIT licence"
release = version = __version__

extensions = ["myst_parser", "sphinx.ext.autodoc"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["examples", "openapi"]
# Headings up to ### get anchors, so pages link to each other's sections (page.md#a-heading).
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True}
autodoc_typehints = "description"

html_theme = "alabaster"
html_title = f"salwidgets {release}"
html_static_path: list[str] = []
# The JSON API's OpenAPI description, published beside the pages (sal-api-v1.json).
html_extra_path = ["openapi"]
