"""The README is the front door and the reference lives in docs/: every page has a table of
contents that matches its headings, every link (file and anchor) leads somewhere, and the
README keeps the Quick start and links every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.docs import (
    DOCS,
    README,
    broken_links,
    current_toc,
    headings,
    links,
    pages,
    slug,
    text,
    toc,
)

DOC_PAGES = sorted(DOCS.glob("*.md"))
# The parts the reference is split into (issue 12): a page each.
PARTS = {
    "contract.md",
    "ingest.md",
    "sources.md",
    "detect.md",
    "reports.md",
    "sql.md",
    "nightly.md",
    "operations.md",
}


def test_every_part_of_the_reference_has_its_page() -> None:
    assert {p.name for p in DOC_PAGES} >= PARTS


@pytest.mark.parametrize("page", DOC_PAGES, ids=lambda p: p.name)
def test_every_docs_page_starts_with_a_table_of_contents_of_its_headings(page: Path) -> None:
    markdown = text(page)
    assert markdown.startswith("# "), f"{page.name} has no title"
    found = current_toc(markdown)
    assert found is not None, f"{page.name} has no <!-- toc --> block"
    before = markdown[: markdown.index(found)]
    assert [line for line in before.splitlines() if line.strip()] == [markdown.splitlines()[0]], (
        f"{page.name}: the table of contents must come right after the title"
    )
    assert any(h.level == 2 for h in headings(markdown)), f"{page.name} has no sections"
    assert found == toc(markdown), (
        f"{page.name}: table of contents out of date; run python -m tests.support.docs"
    )


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_every_code_block_is_closed(page: Path) -> None:
    fences = [line for line in text(page).splitlines() if line.startswith("```")]
    assert len(fences) % 2 == 0, f"{page.name} has a code block that is never closed"


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.name)
def test_every_link_leads_to_a_file_and_heading_that_exist(page: Path) -> None:
    assert broken_links(page) == []


def test_the_readme_links_every_docs_page_and_the_license() -> None:
    linked = {target.split("#")[0] for target in links(text(README))}
    assert {f"docs/{p.name}" for p in DOC_PAGES} <= linked
    assert "LICENSE" in linked


def test_the_readme_is_a_front_door_with_the_quick_start() -> None:
    readme = text(README)
    assert [h.text for h in headings(readme) if h.level == 2][:3] == [
        "Quick start",
        "Who it is for",
        "A five-minute tour",
    ]
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "make demo" in quick and "make test" in quick
    # The reference is in docs/: the README stays short enough to read in one go.
    assert len(readme.splitlines()) < 200


def test_the_readme_tour_walks_ingest_detect_report_sql_nightly_in_order() -> None:
    tour = text(README).split("## A five-minute tour", 1)[1].split("\n## ", 1)[0]
    steps = re.split(r"^\*\*\d\. ", tour, flags=re.M)[1:]
    assert len(steps) == 5
    for step, command in zip(steps, ["ingest", "detect", "report", "sql", "nightly"], strict=True):
        assert re.search(rf"^auditpipe {command} ", step, flags=re.M), f"no {command} in: {step}"


# The checks above must be able to fail: each helper is run on a page with the fault.
def test_a_stale_table_of_contents_is_told_apart(tmp_path: Path) -> None:
    page = "# T\n\n<!-- toc -->\n- [A](#a)\n<!-- /toc -->\n\n## A\n\n## B `x` (y)\n"
    assert current_toc(page) != toc(page)
    assert "- [B `x` (y)](#b-x-y)" in toc(page)


def test_a_broken_anchor_or_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other\n\n## Real heading\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# P\n\n## Here\n\n[ok](other.md#real-heading) [ok](#here) [web](https://x.org/#y)\n"
        "[bad](other.md#nope) [bad](missing.md) [bad](#gone)\n"
        "```sh\n[not a link](nowhere.md)\n```\n",
        encoding="utf-8",
    )
    assert broken_links(page) == ["other.md#nope", "missing.md", "#gone"]


def test_anchors_follow_githubs_rules() -> None:
    assert slug("PostgreSQL + pgaudit") == "postgresql--pgaudit"
    assert slug("`auditpipe compact` and retention") == "auditpipe-compact-and-retention"
    assert slug("Settings and the lake's location") == "settings-and-the-lakes-location"
    assert [h.anchor for h in headings("## Speed\n\n## Speed\n```\n# not\n```\n")] == [
        "speed",
        "speed-1",
    ]


def test_the_license_file_is_the_license_pyproject_names() -> None:
    import tomllib

    declared = tomllib.loads((README.parent / "pyproject.toml").read_text())["project"]["license"]
    assert declared == "Apache-2.0"
    words = (README.parent / "LICENSE").read_text(encoding="utf-8").split()
    assert words[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "END OF TERMS AND CONDITIONS" in " ".join(words)
