"""The HTML report: one self-contained file that a browser renders, charts included, that
stays readable at phone width and prints to a sensible PDF.

The browser tests open the file in headless Chromium (Debian package ``chromium``), installed
here with apt-get when missing; they are skipped, with the reason, only when that fails.

Layout is measured by the browser itself: ``tests/support/browser_probe.js`` is injected into a
copy of the report, which is shown in an iframe of the width under test (headless Chromium will
not make a window narrower than 500 px, an iframe sets the report's viewport exactly), and it
writes what it measured as JSON into the DOM that ``--dump-dom`` prints. The checks are generic:
every chart, every headline figure and every table on the page, on a report built to strain the
layout (long provider names, hundreds of findings, sales of CNY 100,000,000).
"""

from __future__ import annotations

import html as html_lib
import json
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
from tests.support import REPO
from tests.support.account_lakes import real_name_lake
from tests.support.report_lakes import HUGE_AMOUNT, LONG_PROVIDER, build_lake, stress_events

PROBE = REPO / "tests" / "support" / "browser_probe.js"
WIDTHS = (1400, 400)

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


@pytest.fixture(scope="module")
def real_name_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report with the real-name registration section (its tables and daily charts)."""
    root = tmp_path_factory.mktemp("real-name")
    report = build_report(real_name_lake(root), config=Config())
    assert report.real_name and any(s.days for s in report.real_name)
    path = root / "real-name.html"
    path.write_text(render_report(report, "html"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def stress_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of ``stress_events()``: three providers (one with a 120-character name, one
    Chinese), 360 findings over 30 days, exposure in the billions of CNY."""
    root = tmp_path_factory.mktemp("stress")
    report = build_report(build_lake(root, stress_events(), rules=None), config=Config())
    assert report.totals.proceeds_cny >= 3 * int(HUGE_AMOUNT)  # the huge sales are in it
    assert report.exposure_total.fine_max_cny >= 1_000_000_000
    assert LONG_PROVIDER in report.coverage.providers and len(report.findings) >= 300
    path = root / "stress.html"
    path.write_text(render_report(report, "html"), encoding="utf-8")
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
    # url() only as a reference to a pattern defined in the page itself: url(#id)
    assert "@import" not in html and not re.search(r"url\((?!#[\w-]+\))", html)
    for ref in re.findall(r"url\(#([\w-]+)\)", html):
        assert f'id="{ref}"' in html
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


def measure_layout(binary: str, page: Path, width: int, work: Path) -> dict:
    """What ``browser_probe.js`` measured in ``page`` shown ``width`` CSS pixels wide."""
    work.mkdir(parents=True, exist_ok=True)
    probe = PROBE.read_text(encoding="utf-8")
    doc = page.read_text(encoding="utf-8").replace("</body>", f"<script>{probe}</script></body>")
    harness = work / f"harness-{width}.html"
    harness.write_text(
        '<!DOCTYPE html><html><body style="margin:0">'
        f'<iframe style="width:{width}px;height:2400px;border:0" '
        f'srcdoc="{html_lib.escape(doc, quote=True)}"></iframe></body></html>',
        encoding="utf-8",
    )
    done = run_chromium(
        binary,
        work / f"profile-{width}",
        f"--window-size={max(width, 500) + 40},2400",
        "--virtual-time-budget=10000",
        "--dump-dom",
        harness.as_uri(),
    )
    found = re.findall(r'<pre id="layout-probe">(.*?)</pre>', done.stdout, re.S)
    assert found, f"the layout probe did not run: {done.stderr[-2000:]}"
    facts = json.loads(html_lib.unescape(found[-1]))
    assert facts["innerWidth"] == width, "the report was not laid out at the width asked for"
    return facts


def layout_problems(facts: dict) -> list[str]:
    """Everything wrong with one measured layout, in words (empty when the page is right)."""
    problems = []
    if facts["scrollWidth"] > facts["clientWidth"]:
        problems.append(
            f"the page scrolls sideways: {facts['scrollWidth']} px of content in "
            f"{facts['clientWidth']} px; too wide: {sorted(set(facts['overflowing']))[:10]}"
        )
    problems += [
        f"chart {c['label']!r} reaches out of its box {c['container']}"
        for c in facts["charts"]
        if not c["inside"]
    ]
    for f in facts["figures"]:
        # one line box: one client rect, and no taller than a line (line-height 1.3 at most)
        if f["lines"] != 1 or f["height"] > 1.6 * f["fontSize"]:
            problems.append(f"figure {f['text']!r} wraps ({f['lines']} lines, {f['height']} px)")
        if not f["insideCard"]:
            problems.append(f"figure {f['text']!r} overflows its {f['card']}")
    return problems


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_report_fits_the_screen(
    width: int, stress_html: Path, html_file: Path, real_name_html: Path, tmp_path: Path
) -> None:
    """At desktop and phone width: no sideways scrolling of the page, every chart inside its
    box, every headline figure on one line inside its card, on three quite different reports
    (the third with the real-name registration section)."""
    binary = chromium()
    for page in (stress_html, html_file, real_name_html):
        facts = measure_layout(binary, page, width, tmp_path / page.stem)
        assert len(facts["charts"]) >= 3 and len(facts["figures"]) >= 7
        assert layout_problems(facts) == [], page.name
        if width < 640:  # tables reflow into labelled rows instead of scrolling
            scrolling = [t["table"] for t in facts["tables"] if t["scrolls"]]
            assert scrolling == [], f"tables that scroll sideways at {width} px: {scrolling}"


@pytest.mark.browser
@pytest.mark.slow
def test_layout_checks_catch_a_broken_page(tmp_path: Path) -> None:
    """The checks above can fail: a page-wide block, an SVG wider than its box and a figure
    allowed to wrap are each reported."""
    broken = tmp_path / "broken.html"
    broken.write_text(
        '<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width">'
        "</head><body>"
        '<div style="width:900px">wide</div>'
        '<div class="chart-box" style="width:100px"><svg class="chart" aria-label="c" '
        'width="300" height="20" viewBox="0 0 300 20"></svg></div>'
        '<div class="card" style="width:120px"><span class="figure">CNY 100,000,000.00</span>'
        "</div>"
        '<div class="card" style="width:60px"><span class="figure" style="white-space:normal">'
        "CNY 100,000,000.00</span></div></body></html>",
        encoding="utf-8",
    )
    problems = layout_problems(measure_layout(chromium(), broken, 400, tmp_path))
    assert any("scrolls sideways" in p for p in problems)
    assert any("chart 'c' reaches out" in p for p in problems)
    assert any("overflows its div.card" in p for p in problems)
    assert any("wraps" in p for p in problems)


def pdf_pages(data: bytes) -> int:
    """Pages of a PDF as Chromium writes it (page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data))


@pytest.mark.browser
@pytest.mark.slow
def test_report_prints_to_a_sensible_pdf(
    stress_html: Path, html_file: Path, tmp_path: Path
) -> None:
    """Chromium's --print-to-pdf makes a PDF of a sane length: the small report on a few pages,
    and 360 findings in the condensed list at well over ten a page."""
    binary = chromium()
    pages = {}
    for page in (html_file, stress_html):
        pdf = tmp_path / f"{page.stem}.pdf"
        done = run_chromium(
            binary,
            tmp_path / f"profile-{page.stem}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        )
        assert pdf.exists(), f"no PDF: {done.stderr[-2000:]}"
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]
        pages[page.stem] = pdf_pages(data)
    assert 1 <= pages[html_file.stem] <= 8
    assert pages[html_file.stem] < pages[stress_html.stem] <= 360 // 10 + 15


def test_print_stylesheet_keeps_headings_with_their_content(html_file: Path) -> None:
    """The print rules the PDF depends on are in the page: headings are not left at the foot
    of a page, boxes and rows are not split, interactive-only parts are hidden, the findings
    list is condensed and its evidence command is given once instead of per row."""
    page = html_file.read_text(encoding="utf-8")
    print_css = page[page.index("@media print") :]
    assert re.search(r"h1, h2, h3[^{]*\{[^}]*break-after:avoid", print_css)
    assert re.search(r"tr[^{]*\{[^}]*break-inside:avoid", print_css)
    assert re.search(r"\.screen-only[^{]*\{[^}]*display:none", print_css)
    assert "table.findings td" in print_css and "evidence-sql" in print_css
    assert '<p class="small print-only">Every evidence event of a finding:' in page
    assert 'class="screen-only evidence-sql"' in page
