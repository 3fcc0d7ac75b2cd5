"""Helpers shared by the unit and end-to-end tests, imported as ``tests.support.<module>``.

``tests`` is a package (so are ``unit`` and ``e2e``), and pytest's rootdir is the repository,
so these imports need no ``sys.path`` changes and two test files may share a base name.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
