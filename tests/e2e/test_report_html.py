"""The HTML report: one self-contained file that a browser renders, charts included.

The browser test opens the file in headless Chromium (Debian package ``chromium``), installed
here with apt-get when missing; it is skipped, with the reason, only when that fails.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from auditpipe.config import Config
from auditpipe.lake import Lake
from auditpipe.report import build_report, render_report

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def html_file(shared_lake: Lake, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(
        render_report(build_report(shared_lake, config=Config()), "html"), encoding="utf-8"
    )
    return path


def chromium() -> str:
    """The chromium binary, installed with apt-get if missing; skips the test if impossible."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if shutil.which("apt-get") is None:
        pytest.skip("chromium is not installed and there is no apt-get to install it")
    log = []
    for cmd in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
    ):
        try:
            done = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                timeout=900,
                env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            pytest.skip(f"cannot install chromium ({' '.join(cmd)}): {exc}")
        log.append(done.stderr[-500:])
        if done.returncode != 0:
            pytest.skip(f"cannot install chromium ({' '.join(cmd)} failed): {log[-1]}")
    found = shutil.which("chromium")
    if not found:
        pytest.skip("apt-get installed chromium but no chromium binary is on PATH")
    return found


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def png_facts(path: Path) -> tuple[int, int, int]:
    """(width, height, distinct byte values of the decompressed image data) of a PNG.

    A page that failed to render is one colour: its filtered scanlines are nearly all the
    same few bytes. A rendered report (text, tables, coloured bars) uses a great many.
    """
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", chunk[:8])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def test_html_is_self_contained(html_file: Path) -> None:
    html = html_file.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    # no scripts, stylesheets, images or fonts fetched from anywhere
    assert "<script" not in html
    assert not re.search(r"<(link|img|iframe|object|embed)\b", html)
    assert not re.search(r"""\b(src|href)\s*=""", html)
    assert "@import" not in html and "url(" not in html
    # the only URL is the SVG namespace, which browsers never fetch
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) <= {"http://www.w3.org/2000/svg"}


def test_html_has_the_three_charts(html_file: Path) -> None:
    html = html_file.read_text(encoding="utf-8")
    assert html.count('<svg class="chart" viewBox=') == 3
    for title in (
        "Findings per day by category",
        "Breaches by provider",
        "Records exposed over time",
    ):
        assert f'aria-label="{title}"' in html
    assert "2026-03-01 · Selling: 1 findings" in html  # a bar's tooltip, from per_day
    assert "forum-a · Illegal use: 3 findings" in html  # provider bar segment


@pytest.mark.browser
@pytest.mark.slow
def test_chromium_renders_the_report(html_file: Path, tmp_path: Path) -> None:
    binary = chromium()
    shot = tmp_path / "report.png"
    done = run_chromium(
        binary,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1200,2000",
        html_file.as_uri(),
    )
    assert shot.exists(), f"no screenshot: {done.stderr[-2000:]}"
    width, height, distinct = png_facts(shot)
    assert (width, height) == (1200, 2000)
    assert distinct > 64, "the screenshot is (nearly) one colour: the page did not render"

    dom = run_chromium(binary, tmp_path / "profile2", "--dump-dom", html_file.as_uri()).stdout
    assert dom.count('<svg class="chart"') == 3
    assert "Penalty exposure per provider" in dom
    # the charts have drawn bars, and the page contains no error from the browser
    assert dom.count("<rect") > 10


@pytest.mark.browser
@pytest.mark.slow
def test_blank_page_is_what_the_screenshot_check_rejects(tmp_path: Path) -> None:
    """The check above can fail: an empty page gives a one-colour screenshot."""
    binary = chromium()
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>", encoding="utf-8")
    shot = tmp_path / "blank.png"
    run_chromium(
        binary,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1200,2000",
        blank.as_uri(),
    )
    assert png_facts(shot)[2] <= 64
