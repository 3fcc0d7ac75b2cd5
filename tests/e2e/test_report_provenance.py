"""What a report was computed from (provenance) and the total exposure across providers, in
every format that shows the per-provider exposure; and amounts as large as CNY 100,000,000."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest

import auditpipe
from auditpipe.config import Config, load_config
from auditpipe.detect.rules import BUILTIN_RULES_DIR, TERMS_FILE, rule_files
from auditpipe.lake import Lake
from auditpipe.report import build_report, render_report
from tests.support import REPO
from tests.support.report_lakes import base_event, build_lake, identifier_events, schema_errors


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lake, Config, Path]:
    """The identifier lake with a configuration that changes a rule setting, a rate, the
    watchlist and a disabled rule, so the provenance must show the configured values."""
    root = tmp_path_factory.mktemp("provenance")
    lake = build_lake(root, identifier_events(), rules=None)
    (root / "brokers.txt").write_text("# brokers\nData Broker Co\n  acme data \n", "utf-8")
    config_path = root / "auditpipe.toml"
    config_path.write_text(
        "[detect]\nbulk_threshold = 1234\nbroker_watchlist = 'brokers.txt'\n"
        "disabled_rules = ['modification']\n\n[penalty.rates]\nUSD = 7.1\n",
        encoding="utf-8",
    )
    return lake, load_config(config_path), root


def test_exposure_total_adds_up_the_providers(shared_lake: Lake) -> None:
    report = build_report(shared_lake, config=Config())
    total, rows = report.exposure_total, report.exposure
    assert len(rows) >= 2 and total.providers == len(rows)
    assert total.finding_count == sum(e.finding_count for e in rows) == report.totals.findings
    assert total.records_affected == sum(e.records_affected for e in rows)
    assert total.records_affected == report.totals.records  # each event belongs to one provider
    assert total.illegal_proceeds_cny == sum(e.illegal_proceeds_cny for e in rows)
    assert total.fine_min_cny == sum(e.fine_min_cny for e in rows)
    assert total.fine_max_cny == sum(e.fine_max_cny for e in rows)
    assert total.serious_providers == sum(e.serious for e in rows)


def test_every_format_with_the_exposure_shows_the_total(shared_lake: Lake) -> None:
    report = build_report(shared_lake, config=Config())
    t = report.exposure_total
    doc = json.loads(render_report(report, "json"))
    assert doc["exposure"]["total"]["fine_max_cny"] == str(t.fine_max_cny)
    assert doc["exposure"]["total"]["providers"] == len(report.exposure)
    label = f"All {t.providers} providers"
    fine = f"{t.fine_min_cny:,} to {t.fine_max_cny:,}"
    for fmt in ("terminal", "markdown", "html"):
        text = render_report(report, fmt, width=200)
        assert label in text and fine in text, fmt


def test_provenance_lists_the_input_files_with_hash_and_rows(shared_lake: Lake) -> None:
    report = build_report(shared_lake, config=Config())
    files = report.provenance.input_files
    assert files and sum(f.events_in_report for f in files) == report.coverage.events
    con = auditpipe.connect(shared_lake.root)
    try:
        rows = con.execute(
            "SELECT sha256, source_file, rows_read, rows_stored, rows_quarantined, "
            "rows_duplicate FROM ingest_log"
        ).fetchall()
    finally:
        con.close()
    manifest = {row[0]: row[1:] for row in rows}
    for f in files:
        assert manifest[f.sha256] == (
            f.source_file,
            f.rows_read,
            f.rows_stored,
            f.rows_quarantined,
            f.rows_duplicate,
        )
        assert sha256(Path(f.source_file or "")) == f.sha256  # the file it names, as read
        assert f.rows_read == f.rows_stored + f.rows_quarantined + f.rows_duplicate


def test_provenance_names_a_rule_with_findings_that_the_configuration_lacks(
    shared_lake: Lake,
) -> None:
    """The shared lake was detected with an extra rule folder that Config() does not have."""
    rules = {r.rule_id: r for r in build_report(shared_lake, config=Config()).provenance.rules}
    assert not rules["self_delete_review"].configured and rules["self_delete_review"].findings
    builtin = {p.stem: sha256(p) for p in rule_files(BUILTIN_RULES_DIR)}
    assert {k: r.sha256 for k, r in rules.items() if r.configured} == builtin


def test_provenance_shows_the_configuration_it_was_made_with(
    configured: tuple[Lake, Config, Path],
) -> None:
    lake, config, root = configured
    p = build_report(lake, config=config).provenance
    assert p.auditpipe_version == auditpipe.__version__
    assert p.config_file == str(root / "auditpipe.toml")
    assert p.config_sha256 == sha256(root / "auditpipe.toml")
    assert p.terms_sha256 == sha256(TERMS_FILE)
    assert p.detect_settings["bulk_threshold"] == "1234"
    assert p.detect_settings["disabled_rules"] == "[modification]"
    assert "modification" not in {r.rule_id for r in p.rules if r.configured}
    assert p.exchange_rates["USD"] == "7.1" and p.exchange_rates["CNY"] == "1"
    assert p.penalty_settings["fine_threshold_cny"] == "50000"
    assert p.watchlist.path == str(root / "brokers.txt")
    assert p.watchlist.sha256 == sha256(root / "brokers.txt")
    assert p.watchlist.names == ["acme data", "data broker co"]


def test_json_and_markdown_carry_the_whole_provenance(
    configured: tuple[Lake, Config, Path],
) -> None:
    lake, config, _ = configured
    report = build_report(lake, config=config)
    doc = json.loads(render_report(report, "json"))
    schema = json.loads((REPO / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    assert schema_errors(doc, schema) == []
    assert doc["provenance"] == json.loads(json.dumps(report.provenance.to_dict()))
    markdown = render_report(report, "markdown")
    html = render_report(report, "html")
    for text in (markdown, html):
        assert "Provenance" in text and "bulk_threshold" in text
        for f in report.provenance.input_files:
            assert f.sha256 in text
        for r in report.provenance.rules:
            assert r.sha256 is None or r.sha256 in text
        assert "USD 7.1" in text and "data broker co" in text
    assert "Provenance" in render_report(report, "terminal", width=200)


@pytest.mark.parametrize(
    ("amount", "currency", "proceeds"),
    [
        ("100000000", "CNY", Decimal("100000000.00")),
        ("999999999999.99", "CNY", Decimal("999999999999.99")),
        ("100000000", "USD", Decimal("720000000.00")),
    ],
)
def test_a_sale_of_a_hundred_million_is_counted_not_an_overflow(
    tmp_path: Path, amount: str, currency: str, proceeds: Decimal
) -> None:
    """Proceeds are amount x rate in DECIMAL(18,2): the product once overflowed 18 digits
    from CNY 100,000,000 on, and detect stopped."""
    sale = base_event(
        event_id="big",
        action="transfer",
        destination_type="external",
        destination_party="Acme Data",
        amount=amount,
        currency=currency,
        data_fields=["mobile_number"],
    )
    report = build_report(build_lake(tmp_path, [sale], rules=None), config=Config())
    assert report.totals.proceeds_cny == proceeds
    assert report.exposure_total.fine_max_cny == proceeds * 5
