"""Category colours a colour-blind reader can tell apart, and never colour alone.

Each pair of category colours (and the grey of categories from user rules) is simulated as seen
with protanopia, deuteranopia and tritanopia, at full severity, with the matrices of Machado,
Oliveira and Fernandes (2009), "A Physiologically-based Model for Simulation of Color Vision
Deficiency", IEEE TVCG 15(6), applied in linear sRGB. The simulated colours must stay at least
``MIN_DELTA_E`` apart in CIEDE2000 (Sharma, Wu and Dalal 2005 give the formula and its test
data, used below to check this implementation). 10 is a wide margin: about 2.3 is "just
noticeable", and categorical chart colours need far more than noticeable.
"""

from __future__ import annotations

import itertools
import math

import pytest

from auditpipe.report.render import svg_charts
from auditpipe.report.render.common import (
    CATEGORY_COLOURS,
    CATEGORY_PATTERNS,
    OTHER_COLOUR,
    OTHER_PATTERN,
)
from auditpipe.vocabulary import CATEGORIES

MIN_DELTA_E = 10.0

Matrix = tuple[tuple[float, float, float], ...]
# Machado et al. 2009, severity 1.0 (linear RGB in, linear RGB out)
SIMULATIONS: dict[str, Matrix] = {
    "normal vision": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}

Lab = tuple[float, float, float]


def linear_rgb(colour: str) -> tuple[float, float, float]:
    def channel(byte: int) -> float:
        c = byte / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return channel(r), channel(g), channel(b)


def lab(rgb: tuple[float, float, float]) -> Lab:
    """CIE L*a*b* (D65) of a linear sRGB colour, clipped to the gamut first."""
    r, g, b = (min(1.0, max(0.0, v)) for v in rgb)
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
    y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def seen_as(colour: str, simulation: str) -> Lab:
    m = SIMULATIONS[simulation]
    rgb = linear_rgb(colour)
    return lab(tuple(sum(m[i][j] * rgb[j] for j in range(3)) for i in range(3)))  # type: ignore[arg-type]


def ciede2000(lab1: Lab, lab2: Lab) -> float:
    """CIEDE2000 colour difference (kL = kC = kH = 1), as in Sharma, Wu and Dalal 2005."""
    l1, a1, b1 = lab1
    l2, a2, b2 = lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar**7 / (c_bar**7 + 25**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360
    h2p = math.degrees(math.atan2(b2, a2p)) % 360
    dlp, dcp = l2 - l1, c2p - c1p
    if c1p * c2p == 0:
        dhp = 0.0
    elif abs(h2p - h1p) <= 180:
        dhp = h2p - h1p
    else:
        dhp = h2p - h1p - 360 if h2p > h1p else h2p - h1p + 360
    d_hp = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dhp / 2))
    lbp, cbp = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hbp = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hbp = (h1p + h2p) / 2
    else:
        hbp = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(hbp - 30))
        + 0.24 * math.cos(math.radians(2 * hbp))
        + 0.32 * math.cos(math.radians(3 * hbp + 6))
        - 0.20 * math.cos(math.radians(4 * hbp - 63))
    )
    d_theta = 30 * math.exp(-(((hbp - 275) / 25) ** 2))
    rc = 2 * math.sqrt(cbp**7 / (cbp**7 + 25**7))
    sl = 1 + 0.015 * (lbp - 50) ** 2 / math.sqrt(20 + (lbp - 50) ** 2)
    sc = 1 + 0.045 * cbp
    sh = 1 + 0.015 * cbp * t
    rt = -math.sin(math.radians(2 * d_theta)) * rc
    return math.sqrt(
        (dlp / sl) ** 2 + (dcp / sc) ** 2 + (d_hp / sh) ** 2 + rt * (dcp / sc) * (d_hp / sh)
    )


def confusable_pairs(palette: dict[str, str]) -> list[str]:
    """Pairs of the palette closer than MIN_DELTA_E under some simulated vision, in words."""
    found = []
    for simulation in SIMULATIONS:
        for (k1, c1), (k2, c2) in itertools.combinations(palette.items(), 2):
            delta = ciede2000(seen_as(c1, simulation), seen_as(c2, simulation))
            if delta < MIN_DELTA_E:
                found.append(f"{k1} {c1} / {k2} {c2} under {simulation}: dE00 {delta:.1f}")
    return found


@pytest.mark.parametrize(
    ("lab1", "lab2", "expected"),
    [  # pairs 1, 7, 13, 17 and 25 of Sharma, Wu and Dalal's test data
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
        ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0011), 7.2195),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
        ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ],
)
def test_ciede2000_matches_the_published_test_data(lab1: Lab, lab2: Lab, expected: float) -> None:
    assert ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)


def test_category_colours_stay_apart_for_colour_blind_readers() -> None:
    palette = {**{c: CATEGORY_COLOURS[c] for c in CATEGORIES}, "other": OTHER_COLOUR}
    assert confusable_pairs(palette) == []


def test_the_check_rejects_a_palette_that_colour_blind_readers_confuse() -> None:
    """The palette the report used before: red and orange-red merge under deuteranopia."""
    before = {
        "selling": "#b91c1c",
        "disclosure": "#7c3aed",
        "modification": "#0369a1",
        "illegal_use": "#c2410c",
    }
    found = confusable_pairs(before)
    assert any("selling" in p and "illegal_use" in p and "deuteranopia" in p for p in found)


def test_every_category_has_its_own_fill_pattern() -> None:
    """Colour is never the only cue: each category (and user-rule categories) has a pattern
    of its own, and the charts draw it."""
    patterns = [CATEGORY_PATTERNS[c] for c in CATEGORIES] + [OTHER_PATTERN]
    assert len(set(patterns)) == len(patterns)
    assert set(patterns) <= set(svg_charts.PATTERNS)
    import datetime as dt

    day = dt.date(2026, 3, 1)
    series = [(c, c, CATEGORY_COLOURS[c]) for c in CATEGORIES]
    svg = svg_charts.stacked_columns(
        "t",
        day,
        day,
        {(day, c): 1 for c in CATEGORIES},
        series,
        "findings",
        patterns=dict(CATEGORY_PATTERNS),
    )
    assert svg.count("<pattern ") == sum(1 for c in CATEGORIES if CATEGORY_PATTERNS[c] != "solid")
    assert svg.count('fill="url(#') >= 2 * svg.count("<pattern ")  # legend and bars
