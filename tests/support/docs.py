"""The documentation as the tests see it: the README, the pages in docs/, their headings,
tables of contents and links.

Each page in docs/ starts with a table of contents between ``<!-- toc -->`` and
``<!-- /toc -->``, generated from its headings. After adding or renaming a heading, run
``python -m tests.support.docs`` to rewrite every page's table of contents (the tests fail
until they match).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support import REPO

README = REPO / "README.md"
DOCS = REPO / "docs"
TOC_START = "<!-- toc -->"
TOC_END = "<!-- /toc -->"
_TOC = re.compile(re.escape(TOC_START) + r"\n.*?" + re.escape(TOC_END), re.S)
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str


def pages() -> list[Path]:
    """Every page of the documentation: the README and docs/*.md."""
    return [README, *sorted(DOCS.glob("*.md"))]


def text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def prose_lines(markdown: str) -> list[str]:
    """The lines outside fenced code blocks (a ``# comment`` in a shell block is no heading)."""
    lines, fence = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fence = not fence
            continue
        if not fence:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def headings(markdown: str) -> list[Heading]:
    """Every heading of a page, with its anchor (a repeated anchor gets -1, -2, ...)."""
    found: list[Heading] = []
    seen: dict[str, int] = {}
    for line in prose_lines(markdown):
        match = re.match(r"^(#{1,6}) (.+?)\s*#*$", line)
        if not match:
            continue
        base = slug(match.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.append(
            Heading(len(match.group(1)), match.group(2), base if n == 0 else f"{base}-{n}")
        )
    return found


def toc(markdown: str) -> str:
    """The table of contents of a page: its headings below the title, nested by level."""
    entries = [h for h in headings(markdown) if h.level >= 2]
    lines = [f"{'  ' * (h.level - 2)}- [{h.text}](#{h.anchor})" for h in entries]
    return "\n".join([TOC_START, *lines, TOC_END])


def current_toc(markdown: str) -> str | None:
    match = _TOC.search(markdown)
    return match.group(0) if match else None


def links(markdown: str) -> list[str]:
    """The targets of the page's Markdown links (outside code blocks)."""
    return [m.group(1) for line in prose_lines(markdown) for m in _LINK.finditer(line)]


def broken_links(path: Path) -> list[str]:
    """Links of ``path`` to a file that does not exist or to an anchor its page lacks."""
    broken = []
    for target in links(text(path)):
        if re.match(r"^[a-z]+:", target):  # https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        missing_anchor = (
            dest.exists()
            and bool(anchor)
            and dest.suffix == ".md"
            and anchor not in {h.anchor for h in headings(text(dest))}
        )
        if not dest.exists() or missing_anchor:
            broken.append(target)
    return broken


def command_lines(markdown: str) -> list[str]:
    """Every ``auditpipe ...`` command line the page shows: in code blocks (a line ending in
    ``\\`` joined to the next, a quoted argument spanning lines joined too, leading
    ``VAR=value`` assignments and the part after a pipe or redirection dropped) and in inline
    code."""
    found: list[str] = []
    fence, pending = False, ""
    for line in markdown.splitlines():
        if line.startswith("```"):
            fence, pending = not fence, ""
            continue
        if not fence:
            found += [m.group(1) for m in re.finditer(r"`(auditpipe [^`]+)`", line)]
            continue
        line = pending + line.strip() if pending else line.strip()
        pending = ""
        command = re.sub(r"^(?:[A-Z_]+=\S*\s+)*(?:\S*/)?(?=auditpipe )", "", line)
        if not command.startswith("auditpipe "):
            continue
        if command.endswith("\\") or command.count('"') % 2:
            pending = command.rstrip("\\").rstrip() + " "
            continue
        found.append(command)
    return [re.split(r" \\?[|>] | 2>| && ", c)[0] for c in found]


def write_tocs() -> list[Path]:
    """Rewrite the table of contents of every page in docs/; returns the pages changed."""
    changed = []
    for path in sorted(DOCS.glob("*.md")):
        markdown = text(path)
        old = current_toc(markdown)
        if old is None:
            continue
        new = toc(markdown)
        if new != old:
            path.write_text(markdown.replace(old, new, 1), encoding="utf-8")
            changed.append(path)
    return changed


if __name__ == "__main__":  # python -m tests.support.docs
    for changed_path in write_tocs():
        print(f"table of contents rewritten: {changed_path.relative_to(REPO)}", file=sys.stderr)
