"""Penalty exposure per provider under the draft amendments, computed from stored findings.

For each provider with findings in the period the draft lists: an order to rectify;
confiscation of illegal proceeds; a fine of three to five times the illegal proceeds where they
exceed RMB 50,000, or RMB 100,000 to 150,000 where they are below RMB 50,000; and, in serious
cases, suspension of service, revocation of the licence or cancellation of the registration.

Decisions where the draft is silent (also in docs/detect.md, "Penalty exposure"):
- Illegal proceeds are the paid amounts of *selling* findings, converted to CNY at detect time
  with the ``[penalty.rates]`` table; amounts in a currency without a rate are listed in
  ``unconverted_amounts``, never dropped, and the fine basis says the range may be understated.
- Exactly RMB 50,000 gets the multiple, not the fixed range: the fixed range is for proceeds
  "不足5万元" (below 50,000, the pattern of the current Measures, Order 292, art. 19), and
  Chinese statutes count the figure itself in "以上" and not in "不足", as the NPC's drafting
  rules (立法技术规范) say. Providers with no proceeds get the fixed range.
- Real-name registration findings (category ``real_name``): the draft names no fine for them, so
  they add an order to rectify (责令改正) and no amount; a provider with only such findings has
  no fine range at all (``fine_min_cny``/``fine_max_cny`` are None), never an invented one.
  Their evidence (posts, snapshot rows) is not "records affected".
- "Serious" is auditpipe's review heuristic, not a threshold the draft sets: any of records
  affected >= ``serious_records_affected``, proceeds >= ``serious_proceeds_cny``, or a sale of
  login credentials (``serious_on_credential_selling``).
Every output carries ``CAVEAT``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from .config import Config, load_settings, to_decimal
from .errors import ConfigError
from .i18n import N_, _, current_language
from .vocabulary import REAL_NAME

if TYPE_CHECKING:
    from .db.database import SqlConnection

CAVEAT = N_("This is an estimate for review, not a legal determination.")

# Indicative CNY per unit of each currency, used when auditpipe.toml sets no [penalty.rates].
# They are round reference figures, not live rates: set your own for the review date.
DEFAULT_RATES_CNY: dict[str, Decimal] = {
    "CNY": Decimal("1"),
    "USD": Decimal("7.2"),
    "EUR": Decimal("7.8"),
    "GBP": Decimal("9.1"),
    "HKD": Decimal("0.92"),
    "JPY": Decimal("0.048"),
}

CNY = Decimal("0.01")

NO_FINE = N_("none named (order to rectify)")
REAL_NAME_RECTIFY = N_(
    "Order to rectify (责令改正) the real-name registration of users who publish: the draft "
    "names no fine for it."
)
REAL_NAME_ONLY_BASIS = N_(
    "Only real-name registration findings: the draft orders rectification and names no fine, "
    "so no amount is given."
)


@dataclass(frozen=True)
class PenaltySettings:
    # CNY per one unit of each ISO 4217 currency; CNY is always 1 ([penalty.rates] adds to
    # and overrides DEFAULT_RATES_CNY).
    rates: dict[str, Decimal] = field(
        default_factory=lambda: dict(DEFAULT_RATES_CNY),
        metadata={"parse": lambda value, config: parse_rates(value)},
    )
    # The draft's boundary: proceeds of it or more are fined by multiple (以上 counts the
    # figure itself; see fine_range and docs/detect.md, "Penalty exposure").
    fine_threshold_cny: Decimal = Decimal("50000")
    fine_multiple_min: Decimal = Decimal("3")
    fine_multiple_max: Decimal = Decimal("5")
    # Fixed range where proceeds are below the threshold (不足; including none).
    fine_fixed_min_cny: Decimal = Decimal("100000")
    fine_fixed_max_cny: Decimal = Decimal("150000")
    # Serious-case heuristic (any one suffices); 0 switches a numeric criterion off.
    serious_records_affected: int = 5000
    serious_proceeds_cny: Decimal = Decimal("50000")
    serious_on_credential_selling: bool = True
    # Data categories that count as login credentials.
    credential_categories: tuple[str, ...] = ("credential",)

    def __post_init__(self) -> None:
        self.check()

    @classmethod
    def from_config(cls, config: Config, **overrides: object) -> PenaltySettings:
        """Settings from ``[penalty]`` (rates in ``[penalty.rates]``); overrides win if not None."""
        return load_settings(config, "penalty", cls, overrides)

    def check(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Decimal | int) and not isinstance(value, bool) and value < 0:
                raise ConfigError(
                    _("[penalty] {key} cannot be negative, got {value}").format(
                        key=f.name, value=value
                    )
                )
        if self.fine_multiple_min > self.fine_multiple_max:
            raise ConfigError(
                _("[penalty] fine_multiple_min is larger than fine_multiple_max"),
                hint=_("the draft's multiple is 3 to 5"),
            )
        if self.fine_fixed_min_cny > self.fine_fixed_max_cny:
            raise ConfigError(
                _("[penalty] fine_fixed_min_cny is larger than fine_fixed_max_cny"),
                hint=_("the draft's fixed range is 100000 to 150000"),
            )


def parse_rates(table: Any) -> dict[str, Decimal]:
    """``[penalty.rates]`` (currency = CNY per unit) over the defaults; CNY stays 1."""
    if not isinstance(table, dict):
        raise ConfigError(
            _("[penalty] rates is not a table"),
            hint=_("write it as [penalty.rates] with lines like USD = 7.2 (CNY per unit)"),
        )
    rates = dict(DEFAULT_RATES_CNY)
    for raw_code, raw_rate in table.items():
        code = str(raw_code).strip().upper()
        if len(code) != 3 or not code.isalpha():
            raise ConfigError(
                _("[penalty.rates] key {key!r} is not an ISO 4217 currency code").format(
                    key=raw_code
                ),
                hint=_("use three letters, e.g. USD = 7.2"),
            )
        rate = to_decimal(raw_rate, f"[penalty.rates] {raw_code}")
        if rate <= 0:
            raise ConfigError(
                _("[penalty.rates] {code} = {rate!r}: a rate must be above 0").format(
                    code=code, rate=raw_rate
                )
            )
        if code == "CNY" and rate != 1:
            raise ConfigError(_("[penalty.rates] CNY must be 1: rates are CNY per unit"))
        rates[code] = rate
    return rates


@dataclass
class ProviderExposure:
    provider_id: str
    finding_count: int
    records_affected: int
    illegal_proceeds_cny: Decimal
    unconverted_amounts: dict[str, Decimal]
    confiscation_cny: Decimal
    fine_min_cny: Decimal | None  # None: no fine applies (only real-name findings)
    fine_max_cny: Decimal | None
    fine_basis: str
    serious: bool
    serious_reasons: list[str]
    consequences: list[str]
    caveat: str = CAVEAT
    # findings of the real_name family among finding_count (they order rectification only)
    real_name_findings: int = 0

    @property
    def fine_text(self) -> str:
        """``CNY 100,000.00 to CNY 150,000.00``, or that no fine applies."""
        return fine_text(self.fine_min_cny, self.fine_max_cny)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: Decimals become strings with two decimals (exact, no float rounding)."""
        return _money_doc(self)


@dataclass
class ExposureTotal:
    """The exposure of every provider of a report added up. Each evidence event belongs to one
    provider, so records add up exactly; a fine range is per provider, so the total range is
    the sum of the minima to the sum of the maxima (each provider fined separately). Providers
    with no fine range (only real-name findings) add no fine; if none is fined the range is None."""

    providers: int
    serious_providers: int
    finding_count: int
    records_affected: int
    illegal_proceeds_cny: Decimal
    unconverted_amounts: dict[str, Decimal]
    confiscation_cny: Decimal
    fine_min_cny: Decimal | None  # None: no provider has a fine range (real-name findings only)
    fine_max_cny: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, money as exact strings like ``ProviderExposure.to_dict``."""
        return _money_doc(self)


def _money_doc(exposure: ProviderExposure | ExposureTotal) -> dict[str, Any]:
    doc = asdict(exposure)
    for key in ("illegal_proceeds_cny", "confiscation_cny", "fine_min_cny", "fine_max_cny"):
        doc[key] = None if doc[key] is None else str(doc[key])
    doc["unconverted_amounts"] = {c: str(a) for c, a in exposure.unconverted_amounts.items()}
    return doc


def total_exposure(exposures: Iterable[ProviderExposure]) -> ExposureTotal:
    """The sum over providers (a handful of rows already aggregated by DuckDB).

    Providers without a fine range (only real-name findings) add nothing to the fines; when
    there are providers and none has one, the total has none either."""
    rows = list(exposures)
    lows = [e.fine_min_cny for e in rows if e.fine_min_cny is not None]
    highs = [e.fine_max_cny for e in rows if e.fine_max_cny is not None]
    unconverted: dict[str, Decimal] = {}
    for e in rows:
        for code, amount in e.unconverted_amounts.items():
            unconverted[code] = unconverted.get(code, Decimal(0)) + amount
    zero = Decimal("0.00")
    return ExposureTotal(
        providers=len(rows),
        serious_providers=sum(1 for e in rows if e.serious),
        finding_count=sum(e.finding_count for e in rows),
        records_affected=sum(e.records_affected for e in rows),
        illegal_proceeds_cny=sum((e.illegal_proceeds_cny for e in rows), zero),
        unconverted_amounts=dict(sorted(unconverted.items())),
        confiscation_cny=sum((e.confiscation_cny for e in rows), zero),
        fine_min_cny=sum(lows, zero) if lows or not rows else None,
        fine_max_cny=sum(highs, zero) if highs or not rows else None,
    )


def money(amount: Decimal) -> str:
    """CNY 1,234.50: how amounts appear in sentences (in Chinese, Babel's zh_CN currency
    format: ¥1,234.50)."""
    value = amount.quantize(CNY, ROUND_HALF_UP)
    if current_language() == "en":
        return f"CNY {value:,}"
    from babel.numbers import format_currency

    from .i18n import babel_locale

    return format_currency(value, "CNY", locale=babel_locale())


def fine_text(low: Decimal | None, high: Decimal | None) -> str:
    """``CNY low to CNY high``, or that no fine applies (only real-name findings)."""
    if low is None or high is None:
        return _(NO_FINE)
    return _("{low} to {high}").format(low=money(low), high=money(high))


def amount_text(amount: Decimal) -> str:
    """1,234.50 or 0.0025: two decimals unless more are needed to be exact."""
    two = amount.quantize(CNY, ROUND_HALF_UP)
    return f"{two:,}" if two == amount else f"{amount.normalize():,f}"


def fine_range(
    proceeds_cny: Decimal, settings: PenaltySettings, *, unconverted: bool = False
) -> tuple[Decimal, Decimal, str]:
    """(min, max, basis sentence) for one provider with findings and these proceeds;
    ``unconverted``: it also has proceeds in a currency without a rate (not in the CNY sum)."""
    threshold = settings.fine_threshold_cny
    if proceeds_cny >= threshold:
        low = (proceeds_cny * settings.fine_multiple_min).quantize(CNY, ROUND_HALF_UP)
        high = (proceeds_cny * settings.fine_multiple_max).quantize(CNY, ROUND_HALF_UP)
        words = dict(
            proceeds=money(proceeds_cny),
            threshold=money(threshold),
            low=f"{settings.fine_multiple_min:g}",
            high=f"{settings.fine_multiple_max:g}",
        )
        if proceeds_cny == threshold:
            basis = _(
                "Illegal proceeds of exactly {threshold} reach {threshold} (in Chinese "
                "statutes \u201c\u4ee5\u4e0a\u201d, or more, includes the figure itself), so "
                "the fine is {low} to {high} times the proceeds."
            ).format(**words)
        else:
            basis = _(
                "Illegal proceeds of {proceeds} exceed {threshold}, so the fine is "
                "{low} to {high} times the proceeds."
            ).format(**words)
        return low, high, basis
    low = settings.fine_fixed_min_cny.quantize(CNY, ROUND_HALF_UP)
    high = settings.fine_fixed_max_cny.quantize(CNY, ROUND_HALF_UP)
    fixed = _("the fixed range of {low} to {high}").format(low=money(low), high=money(high))
    if proceeds_cny > 0:
        basis = _(
            "Illegal proceeds of {proceeds} are below {threshold}, so the fine is {fixed}."
        ).format(proceeds=money(proceeds_cny), threshold=money(threshold), fixed=fixed)
    elif unconverted:
        # proceeds were found, only none with a rate: never say there were none
        basis = _(
            "No illegal proceeds in a currency with a CNY rate were found, so the fine is {fixed}."
        ).format(fixed=fixed)
    else:
        basis = _("No illegal proceeds were found, so the fine is {fixed}.").format(fixed=fixed)
    return low, high, basis


def assess_provider(
    provider_id: str,
    *,
    finding_count: int,
    records_affected: int,
    proceeds_cny: Decimal,
    unconverted: dict[str, Decimal],
    credential_selling: bool,
    settings: PenaltySettings,
    real_name_findings: int = 0,
) -> ProviderExposure:
    """The exposure of one provider from its aggregated findings (pure, no I/O).

    ``real_name_findings`` of the ``finding_count`` belong to the real_name family: they add an
    order to rectify and nothing else; with no other finding there is no fine range.
    """
    proceeds_cny = proceeds_cny.quantize(CNY, ROUND_HALF_UP)
    if real_name_findings >= finding_count:
        return ProviderExposure(
            provider_id=provider_id,
            finding_count=finding_count,
            records_affected=records_affected,
            illegal_proceeds_cny=proceeds_cny,
            unconverted_amounts={},
            confiscation_cny=proceeds_cny,
            fine_min_cny=None,
            fine_max_cny=None,
            fine_basis=_(REAL_NAME_ONLY_BASIS),
            serious=False,
            serious_reasons=[],
            consequences=[_(REAL_NAME_RECTIFY)],
            caveat=_(CAVEAT),
            real_name_findings=real_name_findings,
        )
    low, high, basis = fine_range(proceeds_cny, settings, unconverted=bool(unconverted))
    if unconverted:
        listed = ", ".join(f"{amount_text(a)} {code}" for code, a in sorted(unconverted.items()))
        basis += _(
            " Proceeds of {amounts} have no CNY rate and are not included, so the range may be"
            " understated; add the rate to [penalty.rates] and run detect again."
        ).format(amounts=listed)
    reasons = []
    if settings.serious_records_affected and records_affected >= settings.serious_records_affected:
        reasons.append(
            _("{records} records affected (at least {threshold})").format(
                records=f"{records_affected:,}",
                threshold=f"{settings.serious_records_affected:,}",
            )
        )
    if settings.serious_proceeds_cny and proceeds_cny >= settings.serious_proceeds_cny:
        reasons.append(
            _("illegal proceeds of {amount} (at least {threshold})").format(
                amount=money(proceeds_cny), threshold=money(settings.serious_proceeds_cny)
            )
        )
    if settings.serious_on_credential_selling and credential_selling:
        reasons.append(_("login credentials were sold"))
    # The draft's own legal terms: 责令改正, 没收违法所得, 罚款, 暂停/吊销.
    consequences = [_("Order to rectify.")]
    if real_name_findings:
        consequences.append(_(REAL_NAME_RECTIFY))
    if proceeds_cny > 0 or unconverted:
        extra = _(" plus the amounts without a CNY rate") if unconverted else ""
        consequences.append(
            _("Confiscation of illegal proceeds: {amount}{extra}.").format(
                amount=money(proceeds_cny), extra=extra
            )
        )
    consequences.append(_("Fine of {low} to {high}.").format(low=money(low), high=money(high)))
    if reasons:
        consequences.append(
            _(
                "As a serious case: suspension of service for rectification, revocation of the "
                "licence, or cancellation of the registration."
            )
        )
    return ProviderExposure(
        provider_id=provider_id,
        finding_count=finding_count,
        records_affected=records_affected,
        illegal_proceeds_cny=proceeds_cny,
        unconverted_amounts=dict(sorted(unconverted.items())),
        confiscation_cny=proceeds_cny,
        fine_min_cny=low,
        fine_max_cny=high,
        fine_basis=basis,
        serious=bool(reasons),
        serious_reasons=reasons,
        consequences=consequences,
        caveat=_(CAVEAT),
        real_name_findings=real_name_findings,
    )


_EXPOSURE_SQL = """
WITH scoped AS (
    SELECT *
    FROM {source}
    WHERE ($since IS NULL OR event_date >= $since)
      AND ($until IS NULL OR event_date <= $until)
      AND ($provider IS NULL OR provider_id = $provider)
      AND ($dates IS NULL OR list_contains($dates, event_date))
),
per_provider AS (
    SELECT
        provider_id,
        count(*) AS finding_count,
        count(*) FILTER (WHERE category = $real_name) AS real_name_findings,
        coalesce(sum(proceeds_cny) FILTER (WHERE category = 'selling'), 0) AS proceeds_cny,
        bool_or(category = 'selling' AND list_has_any(data_categories, $credential_categories))
            AS credential_selling
    FROM scoped
    GROUP BY provider_id
),
-- an event behind several findings (e.g. unauthorized and bulk access) counts once; the
-- evidence of real-name findings (posts, snapshot rows) is not records of users' information
evidence AS (
    SELECT DISTINCT
        provider_id,
        unnest(evidence_event_ids) AS event_id,
        unnest(evidence_record_counts) AS record_count
    FROM scoped
    WHERE category <> $real_name
),
records AS (
    SELECT provider_id, sum(record_count) AS records_affected
    FROM evidence
    GROUP BY provider_id
),
unconverted AS (
    SELECT provider_id, map(list(currency ORDER BY currency), list(amount ORDER BY currency)) AS amounts
    FROM (
        SELECT provider_id, u.currency, sum(u.amount) AS amount
        FROM (
            SELECT provider_id, unnest(unconverted_amounts) AS u
            FROM scoped
            WHERE category = 'selling'
        )
        GROUP BY ALL
    )
    GROUP BY provider_id
)
SELECT p.provider_id, p.finding_count, coalesce(r.records_affected, 0), p.proceeds_cny,
       coalesce(p.credential_selling, false), u.amounts, p.real_name_findings
FROM per_provider AS p
LEFT JOIN records AS r USING (provider_id)
LEFT JOIN unconverted AS u USING (provider_id)
ORDER BY p.provider_id
"""


def compute_exposure(
    con: SqlConnection,
    settings: PenaltySettings,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    provider: str | None = None,
    dates: Iterable[dt.date] | None = None,
    source: str = "findings",
) -> list[ProviderExposure]:
    """Exposure per provider with findings in the period, from the ``findings`` view of ``con``.

    ``dates``, when given, restricts to exactly those event_dates (on top of since/until).
    ``source``: another table of ``con`` with the findings' columns to read them from instead
    (the report's staged findings of the period: the lake's files are not read again).
    """
    wanted_dates = sorted(set(dates)) if dates is not None else None
    if wanted_dates == []:
        return []
    rows = con.execute(
        _EXPOSURE_SQL.replace("{source}", source),
        {
            "since": since,
            "until": until,
            "provider": provider,
            "dates": wanted_dates,
            "credential_categories": list(settings.credential_categories),
            "real_name": REAL_NAME,
        },
    ).fetchall()
    exposures = []
    for provider_id, count, records, proceeds, credential_selling, unconverted, real_name in rows:
        exposures.append(
            assess_provider(
                provider_id,
                finding_count=int(count),
                records_affected=int(records),
                proceeds_cny=Decimal(proceeds),
                unconverted={str(k): Decimal(v) for k, v in (unconverted or {}).items()},
                credential_selling=bool(credential_selling),
                settings=settings,
                real_name_findings=int(real_name),
            )
        )
    return exposures
