"""The benchmark's site with ``bench.handwritten`` as its ``{% load sal %}`` library (the first baseline)."""

from bench.settings import *  # noqa: F403
from bench.settings import TEMPLATES

TEMPLATES[0]["OPTIONS"].setdefault("libraries", {})["sal"] = "bench.handwritten"
