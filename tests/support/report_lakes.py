"""Lakes for the report and sql tests, built the real way: JSON Lines -> ingest -> detect.

``IDENTIFIERS`` are personal identifiers planted where a report could leak them: subject ids,
an actor id of a user acting on their own data, a partner whose id is a mobile number, a
destination party named with a phone number. The masking tests check none of them appears in
any report format. ``identifier_events()`` fires every default rule at least once, plus a user
rule (``SUBJECT_RULE``) that reports users deleting their own data, so a finding has an actor of
type subject.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

from auditpipe.config import Config
from auditpipe.detect import DetectSettings, run_detect
from auditpipe.ingest import IngestSettings, ingest_paths
from auditpipe.lake import Lake
from tests.support.cli import run_main  # noqa: F401  (re-exported for the report tests)

RESIDENT_ID = "110105194912310021"
RESIDENT_ID_X = "11010519491231002X"
MOBILE_SUBJECT = "13812345678"
MOBILE_PARTNER = "13700001111"
MOBILE_IN_PARTY = "13912345678"
SELF_ACTOR = "user-alice-0042"  # not shaped like a number: masked because it is a user's id

IDENTIFIERS = (
    RESIDENT_ID,
    RESIDENT_ID_X,
    MOBILE_SUBJECT,
    MOBILE_PARTNER,
    MOBILE_IN_PARTY,
    SELF_ACTOR,
)

SUBJECT_RULE = """\
-- id: self_delete_review
-- title: Users deleting their own identity data (review list)
-- category: modification
-- severity: low
-- clause: Test rule: lists self-service deletions so a report shows subject actors.
-- description: A user deleting their own identity data.
-- summary: {actor} deleted {data} ({records}) on {date}.
SELECT * FROM events
WHERE actor_type = 'subject' AND action = 'delete' AND outcome = 'success'
"""


def base_event(**fields: Any) -> dict[str, Any]:
    event = {
        "event_time": "2026-03-01T10:00:00+08:00",
        "provider_id": "forum-a",
        "actor_id": "emp-7",
        "actor_type": "employee",
        "action": "view",
        "subject_id": RESIDENT_ID,
        "data_fields": ["phone"],
        "destination_type": "internal",
        "authorization_ref": "T-1",
        "purpose": "support",
    }
    event.update(fields)
    return event


def identifier_events() -> list[dict[str, Any]]:
    e = base_event
    return [
        e(
            event_id="s1",
            action="transfer",
            destination_type="external",
            destination_party=f"Data Broker Co {MOBILE_IN_PARTY}",
            amount="60000",
            data_fields=["mobile_number", "real_name"],
            subject_id=MOBILE_SUBJECT,
        ),
        e(
            event_id="s2",
            action="transfer",
            destination_type="external",
            destination_party="Acme Data",
            amount="1000",
            data_fields=["password_hash"],
            event_time="2026-03-02T11:00:00+08:00",
        ),
        e(
            event_id="d1",
            action="publish",
            destination_type="public",
            destination_party="pastebin",
            data_fields=["id_number"],
            authorization_ref=None,
            provider_id="blog-b",
        ),
        e(
            event_id="m1",
            action="update",
            data_fields=["real_name"],
            authorization_ref=None,
            actor_id=MOBILE_PARTNER,
            actor_type="partner",
        ),
        e(
            event_id="u1",
            authorization_ref=None,
            purpose=None,
            actor_id="emp-9",
            subject_id=RESIDENT_ID_X,
        ),
        e(event_id="c1", data_fields=["session_token"], actor_id="emp-9", subject_id="u-5501"),
        e(event_id="c2", data_fields=["session_token"], actor_id="emp-9", subject_id="u-5502"),
        e(
            event_id="b1",
            action="export",
            record_count=1500,
            actor_id="emp-3",
            event_time="2026-03-03T09:00:00+08:00",
        ),
        e(event_id="ok1", channel="app"),  # a field outside the contract: kept in extras
        e(
            event_id="f1",
            action="transfer",
            destination_type="external",
            amount="5",
            outcome="failure",
        ),
        e(
            event_id="self1",
            actor_type="subject",
            actor_id=SELF_ACTOR,
            subject_id=SELF_ACTOR,
            action="delete",
            data_fields=["real_name"],
            authorization_ref=None,
        ),
    ]


def write_jsonl(path: Path, events: list[dict[str, Any]], bad_lines: list[str] = ()) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(ev) for ev in events] + list(bad_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build_lake(
    root: Path,
    events: list[dict[str, Any]],
    *,
    bad_lines: list[str] = (),
    rules: str | None = SUBJECT_RULE,
    detect: bool = True,
) -> Lake:
    """Ingest ``events`` (and malformed ``bad_lines``) into ``root/lake`` and run detect."""
    logs = write_jsonl(root / "logs" / "access.jsonl", events, bad_lines)
    lake = Lake.open(root / "lake", create=True)
    config = Config()
    ingest_paths(lake, [logs], IngestSettings.from_config(config))
    if detect:
        rule_dirs = []
        if rules is not None:
            rule_dir = root / "rules"
            rule_dir.mkdir(exist_ok=True)
            (rule_dir / "self_delete_review.sql").write_text(rules, encoding="utf-8")
            rule_dirs.append(rule_dir)
        run_detect(lake, DetectSettings.from_config(config), rule_dirs=rule_dirs)
    return lake


def identifier_lake(root: Path) -> Lake:
    """The lake every report/sql test shares: identifiers planted, one malformed line."""
    bad = [
        "{not json",
        json.dumps(
            {
                "event_time": "2026-13-01",
                "provider_id": "forum-a",
                "actor_id": "x",
                "action": "view",
                "data_fields": "phone",
                "subject_id": MOBILE_SUBJECT,
            }
        ),
    ]
    return build_lake(root, identifier_events(), bad_lines=bad)


def shared_identifier_lake(factory: Any) -> Lake:
    """``identifier_lake`` built once per test session and shared by the report and sql test
    modules (they only read it; the read-only tests prove they cannot change it)."""
    root = factory.getbasetemp() / "shared-identifier-lake"
    built = root / "BUILT"
    if not built.exists():
        shutil.rmtree(root, ignore_errors=True)
        identifier_lake(root)
        built.write_text("ok\n", encoding="utf-8")
    return Lake.open(root / "lake")


def every_format(lake: Lake) -> dict[tuple[str, bool], str]:
    """The report of ``lake`` in every format, masked and unmasked: (format, unmask) -> text.
    Built once per unmask setting, rendered once per format."""
    from auditpipe.report import REPORT_FORMATS, build_report, render_report

    out = {}
    for unmask in (False, True):
        report = build_report(lake, config=Config(), unmask=unmask)
        for fmt in REPORT_FORMATS:
            out[fmt, unmask] = render_report(report, fmt)
    return out


def schema_errors(
    doc: Any, schema: dict[str, Any], root: dict[str, Any] | None = None, where: str = "$"
) -> list[str]:
    """The ways ``doc`` breaks ``schema``: the JSON Schema keywords schemas/report.schema.json
    uses (type, required, properties, additionalProperties, items, enum, pattern, minimum,
    format date/date-time, local $ref). Small on purpose: jsonschema is not a dependency."""
    import datetime as dt
    import re

    root = root or schema
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        merged = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema_errors(doc, merged, root, where)
    errors: list[str] = []
    kinds = schema.get("type")
    if kinds is not None:
        names = kinds if isinstance(kinds, list) else [kinds]
        checks = {
            "object": lambda v: isinstance(v, dict),
            "array": lambda v: isinstance(v, list),
            "string": lambda v: isinstance(v, str),
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
            "boolean": lambda v: isinstance(v, bool),
            "null": lambda v: v is None,
        }
        if not any(checks[n](doc) for n in names):
            return [f"{where}: {doc!r} is not {kinds}"]
    if doc is None:
        return errors
    if "enum" in schema and doc not in schema["enum"]:
        errors.append(f"{where}: {doc!r} not in {schema['enum']}")
    if isinstance(doc, str):
        if "pattern" in schema and not re.search(schema["pattern"], doc):
            errors.append(f"{where}: {doc!r} does not match {schema['pattern']}")
        fmt = schema.get("format")
        try:
            if fmt == "date":
                dt.date.fromisoformat(doc)
            elif fmt == "date-time":
                dt.datetime.fromisoformat(doc)
        except ValueError:
            errors.append(f"{where}: {doc!r} is not a {fmt}")
    if isinstance(doc, int | float) and "minimum" in schema and doc < schema["minimum"]:
        errors.append(f"{where}: {doc} < {schema['minimum']}")
    if isinstance(doc, dict):
        for key in schema.get("required", []):
            if key not in doc:
                errors.append(f"{where}: missing {key}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, value in doc.items():
            if key in props:
                errors += schema_errors(value, props[key], root, f"{where}.{key}")
            elif extra is False:
                errors.append(f"{where}: unexpected {key}")
            elif isinstance(extra, dict):
                errors += schema_errors(value, extra, root, f"{where}.{key}")
    if isinstance(doc, list) and "items" in schema:
        for i, item in enumerate(doc):
            errors += schema_errors(item, schema["items"], root, f"{where}[{i}]")
    return errors


LONG_PROVIDER = (
    "regional-internet-information-service-provider-with-a-very-long-registered-name-" + ("x" * 40)
)
CJK_PROVIDER = "某某省网络信息服务有限责任公司第二分公司数据中心运营部"
HUGE_AMOUNT = "100000000"  # CNY 100,000,000: a headline figure must not wrap inside it


def stress_events(actors: int = 90, days: int = 30) -> list[dict[str, Any]]:
    """A report that strains the page: long provider names (ASCII and Chinese), many findings
    over many days, sales of CNY 100,000,000 (so the exposure reaches the billions), long
    party names and every category."""
    start = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    providers = (LONG_PROVIDER, CJK_PROVIDER, "p")
    events = []
    for n in range(actors):
        provider = providers[n % len(providers)]
        when = (start + dt.timedelta(days=n % days, minutes=n)).isoformat()
        kinds: dict[str, dict[str, Any]] = {
            "sale": {
                "action": "transfer",
                "destination_type": "external",
                "destination_party": f"Data Broker Holdings International Limited Branch {n % 7}",
                "amount": HUGE_AMOUNT if n < 3 else str(1000 + n),
                "data_fields": ["mobile_number", "real_name", "password_hash"],
            },
            "leak": {
                "action": "publish",
                "destination_type": "public",
                "destination_party": "pastebin",
                "data_fields": ["id_number"],
                "authorization_ref": None,
            },
            "edit": {"action": "update", "data_fields": ["real_name"], "authorization_ref": None},
            "bulk": {"action": "export", "record_count": 250_000},
        }
        events += [
            base_event(
                event_id=f"{kind}-{n}",
                provider_id=provider,
                actor_id=f"emp-{n}",
                event_time=when,
                subject_id=f"{kind}-subject-{n}",
                **fields,
            )
            for kind, fields in kinds.items()
        ]
    return events
