"""detect's line for all providers names the proceeds without a CNY rate, as each provider's
line and the report's total row do: the total never reads as smaller than its parts."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.cli import run_main
from tests.support.detect_lakes import event, make_lake, write_events

SALE = {"action": "transfer", "destination_type": "external", "destination_party": "acme"}


def test_the_total_line_names_the_unconverted_proceeds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = make_lake(tmp_path / "lake")
    write_events(
        lake,
        [
            event(**SALE, provider_id="a", amount=Decimal(60000)),
            event(**SALE, provider_id="b", amount=Decimal("2.5"), currency="XAU"),
            event(**SALE, provider_id="c", amount=Decimal("0.0049"), currency="XAU"),
        ],
    )
    code, out, _err = run_main(["detect", "--lake", str(lake.root)], capsys)
    assert code == 0
    (total,) = [line for line in out.splitlines() if line.startswith("All 3 providers")]
    assert "illegal proceeds CNY 60,000.00 plus 2.5049 XAU with no CNY rate" in total
