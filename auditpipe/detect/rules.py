"""Rules as files: one ``.sql`` file per rule, its metadata in a leading comment header.

A rule file looks like this (the default rules in ``auditpipe/rules/`` are examples)::

    -- id: selling
    -- title: Login or identity data sold to an outside party
    -- category: selling
    -- severity: high
    -- clause: Draft amendments ...: providers shall not sell ...
    -- description: A protected event that leaves the provider and was paid for ...
    --   (a line indented by two or more spaces continues the value above it)
    -- false_positives: ...
    -- summary: {actor} sold {data} ({records}, {events}) to {party} on {date}.
    SELECT * FROM in_scope_events WHERE leaves_provider AND (paid OR to_broker)

The header is the run of ``--`` lines at the top of the file; a key line is ``-- key: value``
with the key right after ``-- ``. The body is one DuckDB SELECT returning the events that fire
the rule (see ``REQUIRED_COLUMNS``); the engine groups them into findings. Files whose names
start with ``_`` or ``.`` are not rules (``_terms.sql`` holds the shared terms).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import AuditpipeError
from ..i18n import DEFAULT_LANGUAGE, _, normalize_language
from ..vocabulary import CATEGORIES, SEVERITIES

BUILTIN_RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
TERMS_FILE = BUILTIN_RULES_DIR / "_terms.sql"


REQUIRED_KEYS = ("id", "title", "category", "severity", "description", "clause")
OPTIONAL_KEYS = ("false_positives", "summary")
# Keys a header may also give in another language, as ``<key>.<language>`` (``summary.zh-CN``):
# reports, ``findings show`` and ``rules show`` in that language show them (the stored summary
# is always the English one).
TRANSLATABLE_KEYS = ("title", "summary", "clause", "description", "false_positives")

# Columns a rule's SELECT must return (every default rule returns in_scope_events.*).
REQUIRED_COLUMNS = (
    "provider_id",
    "event_date",
    "event_id",
    "event_time",
    "actor_id",
    "actor_type",
    "subject_id",
    "record_count",
    "data_classes",
    "data_categories",
    "destination_party",
    "amount",
    "currency",
)

# Placeholders a summary template may use; the engine fills them per finding in SQL.
SUMMARY_PLACEHOLDERS = (
    "actor",
    "data",
    "records",
    "events",
    "subjects",
    "party",
    "proceeds",
    "date",
    "bulk_threshold",
    "bulk_reason",
    "accounts",
    "posts",
    "identity_limit",
)
DEFAULT_SUMMARY = "{actor} triggered rule '{title}' with {data} ({records}, {events}) on {date}."

_KEY_LINE = re.compile(r"^-- ?([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_-]*)?)\s*:\s?(.*)$")
_CONTINUATION = re.compile(r"^--(?:\s{2,}(.*)|\s*)$")
_RULE_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


class RuleError(AuditpipeError):
    """A rule file has a bad header, bad SQL, or clashes with another rule."""


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    category: str
    severity: str
    description: str
    clause: str
    false_positives: str
    summary: str
    sql: str
    path: Path
    builtin: bool
    # (language, key, text) for each ``<key>.<language>`` header line (TRANSLATABLE_KEYS)
    translations: tuple[tuple[str, str, str], ...] = ()

    def localized(self, key: str, language: str) -> str | None:
        """The rule's ``key`` (one of TRANSLATABLE_KEYS) in ``language``; None when the header
        gives none in it (English: the rule's own)."""
        if language == DEFAULT_LANGUAGE:
            return str(getattr(self, key))
        return next((t for lang, k, t in self.translations if (lang, k) == (language, key)), None)

    @property
    def source(self) -> str:
        return "built-in" if self.builtin else str(self.path)

    def summary_dict(self, disabled: Sequence[str] = ()) -> dict[str, object]:
        """What ``rules list --json`` shows of the rule."""
        return {
            "id": self.id,
            "title": self.title,
            "category": self.category,
            "severity": self.severity,
            "source": self.source,
            "disabled": self.id in disabled,
        }


def parse_rule_text(text: str, path: Path, *, builtin: bool = False) -> Rule:
    """Parse one rule file's text; ``RuleError`` naming ``path`` when it is not a valid rule."""
    lines = text.splitlines()
    header, body_start = read_header(lines, path)
    check_header(header, path)
    return Rule(
        id=header["id"],
        title=header["title"],
        category=header["category"].lower(),
        severity=header["severity"].lower(),
        description=header["description"],
        clause=header["clause"],
        false_positives=header.get("false_positives", ""),
        summary=summary_template(header, path),
        sql=rule_body(lines[body_start:], path),
        path=path,
        builtin=builtin,
        translations=translations(header, path),
    )


def read_header(lines: Sequence[str], path: Path) -> tuple[dict[str, str], int]:
    """The header's ``key: value`` pairs (continuation lines joined) and the index of the
    first body line. Unknown or repeated keys are RuleErrors."""
    header: dict[str, str] = {}
    current: str | None = None
    for number, line in enumerate(lines, start=1):
        stripped = line.rstrip()
        if not stripped.startswith("--"):
            return header, number - 1
        key_match = _KEY_LINE.match(stripped)
        if key_match and not stripped.startswith("--  "):
            key = _header_key(key_match.group(1), path, number)
            if key.split(".")[0] not in REQUIRED_KEYS + OPTIONAL_KEYS:
                raise RuleError(
                    _("rule file {path}, line {number}: unknown header key {key!r}").format(
                        path=path, number=number, key=key
                    ),
                    hint=_("header keys are ") + ", ".join(REQUIRED_KEYS + OPTIONAL_KEYS),
                )
            if key in header:
                raise RuleError(
                    _("rule file {path}, line {number}: {key!r} is given twice").format(
                        path=path, number=number, key=key
                    )
                )
            header[key] = key_match.group(2).strip()
            current = key
            continue
        cont = _CONTINUATION.match(stripped)
        if cont and cont.group(1) and current is not None:
            header[current] = f"{header[current]} {cont.group(1).strip()}".strip()
        elif cont and cont.group(1):
            raise RuleError(
                _(
                    "rule file {path}, line {number}: an indented header line with no key above it"
                ).format(path=path, number=number),
                hint=_("start the header with '-- id: <rule_id>'"),
            )
        else:
            current = None  # a bare '--' or a comment that is not a key line ends the value
    return header, len(lines)


def _header_key(raw: str, path: Path, number: int) -> str:
    """A header key in lower case; ``<key>.<language>`` with the language's own spelling."""
    key, dot, language = raw.partition(".")
    key = key.lower()
    if not dot:
        return key
    code = normalize_language(language)
    if key not in TRANSLATABLE_KEYS or code in (None, DEFAULT_LANGUAGE):
        raise RuleError(
            _("rule file {path}, line {number}: {key!r} is not a header key").format(
                path=path, number=number, key=raw
            ),
            hint=_("only {keys} take a language, e.g. summary.zh-CN").format(
                keys=", ".join(TRANSLATABLE_KEYS)
            ),
        )
    return f"{key}.{code}"


def translations(header: dict[str, str], path: Path) -> tuple[tuple[str, str, str], ...]:
    """(language, key, text) of each ``<key>.<language>`` line; a summary's placeholders are
    checked as the English one's, and its ``{title}`` is the title in the same language."""
    found = []
    for name, text in sorted(header.items()):
        key, dot, language = name.partition(".")
        if not dot or not text:
            continue
        if key == "summary":
            title = header.get(f"title.{language}", header["title"])
            text = summary_template({"summary": text, "title": title}, path)
        found.append((language, key, text))
    return tuple(found)


def check_header(header: dict[str, str], path: Path) -> None:
    """Every required key given, a valid rule id, a known category and severity."""
    missing = [k for k in REQUIRED_KEYS if not header.get(k)]
    if missing:
        raise RuleError(
            _("rule file {path}: the header lacks {items}").format(
                path=path, items=", ".join(missing)
            ),
            hint=_("a rule starts with '-- key: value' lines for ")
            + ", ".join(REQUIRED_KEYS)
            + _(" (see `auditpipe rules show selling`)"),
        )
    rule_id = header["id"]
    if not _RULE_ID.match(rule_id):
        raise RuleError(
            _("rule file {path}: id {rule_id!r} is not a valid rule id").format(
                path=path, rule_id=rule_id
            ),
            hint=_("use lower-case letters, digits and '_', starting with a letter"),
        )
    if header["category"].lower() not in CATEGORIES:
        raise RuleError(
            _("rule file {path}: category {header!r} is not one of ").format(
                path=path, header=header["category"]
            )
            + ", ".join(CATEGORIES),
            hint=_(
                "every rule enforces one of the four behaviours the draft bars, or the "
                "real-name registration requirement (real_name)"
            ),
        )
    if header["severity"].lower() not in SEVERITIES:
        raise RuleError(
            _("rule file {path}: severity {header!r} is not one of ").format(
                path=path, header=header["severity"]
            )
            + ", ".join(SEVERITIES)
        )


def summary_template(header: dict[str, str], path: Path) -> str:
    """The rule's summary (or the default) with ``{title}`` filled in; the other placeholders
    must be ones the engine fills per finding."""
    summary = header.get("summary") or DEFAULT_SUMMARY
    unknown = sorted(set(_PLACEHOLDER.findall(summary)) - set(SUMMARY_PLACEHOLDERS) - {"title"})
    if unknown:
        raise RuleError(
            _("rule file {path}: summary uses unknown placeholder(s) ").format(path=path)
            + ", ".join("{" + u + "}" for u in unknown),
            hint=_("placeholders are ") + ", ".join("{" + p + "}" for p in SUMMARY_PLACEHOLDERS),
        )
    return summary.replace("{title}", header["title"])


def rule_body(body_lines: Sequence[str], path: Path) -> str:
    """The SQL after the header, without a trailing semicolon; a RuleError when empty."""
    sql = "\n".join(body_lines).strip().rstrip(";").strip()
    if not sql:
        raise RuleError(
            _("rule file {path}: no SQL after the header").format(path=path),
            hint=_("after the header, write one SELECT returning the events that fire the rule"),
        )
    return sql


def read_rule_file(path: Path, *, builtin: bool = False) -> Rule:
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte order mark is not SQL
    except UnicodeDecodeError as exc:
        raise RuleError(
            _("rule file {path} is not UTF-8 text: {exc}").format(path=path, exc=exc)
        ) from exc
    except OSError as exc:
        raise RuleError(
            _("cannot read rule file {path}: {value}").format(path=path, value=exc.strerror or exc)
        ) from exc
    return parse_rule_text(text, path, builtin=builtin)


def rule_files(folder: Path) -> list[Path]:
    """The rule files of one folder (not recursive), in name order."""
    if not folder.is_dir():
        raise RuleError(
            _("rules folder {folder} does not exist or is not a folder").format(folder=folder),
            hint=_("pass a folder of .sql rule files to --rules"),
        )
    return sorted(
        p for p in folder.glob("*.sql") if p.is_file() and not p.name.startswith(("_", "."))
    )


def read_rules(rule_dirs: Sequence[Path] = (), *, disabled: Iterable[str] = ()) -> list[Rule]:
    """The built-in rules plus every rule in ``rule_dirs``, minus ``disabled`` ids.

    Headers are checked here; the SQL is not (that needs DuckDB: ``load.load_rules``). A user
    rule may not reuse a built-in rule's id: disable the built-in instead (``disabled_rules``
    in ``[detect]``).
    """
    rules: list[Rule] = [read_rule_file(p, builtin=True) for p in rule_files(BUILTIN_RULES_DIR)]
    for folder in rule_dirs:
        rules.extend(read_rule_file(p) for p in rule_files(Path(folder)))
    seen: dict[str, Rule] = {}
    for rule in rules:
        if rule.id in seen:
            raise RuleError(
                _("rule id {id!r} in {path} is already used by {source}").format(
                    id=rule.id, path=rule.path, source=seen[rule.id].source
                )
                + ""
                if seen[rule.id].builtin
                else f" ({seen[rule.id].path})",
                hint=_(
                    "give the rule another id, or disable the other one with disabled_rules in the [detect] table of auditpipe.toml"
                ),
            )
        seen[rule.id] = rule
    disabled_ids = set(disabled)
    unknown = sorted(disabled_ids - seen.keys())
    if unknown:
        raise RuleError(
            _("disabled_rules names rule(s) that do not exist: ") + ", ".join(unknown),
            hint=_("see the ids with: auditpipe rules list"),
        )
    return [r for r in rules if r.id not in disabled_ids]


def find_rule(rules: Sequence[Rule], rule_id: str) -> Rule:
    for rule in rules:
        if rule.id == rule_id:
            return rule
    raise RuleError(
        _("no rule with id {rule_id!r}").format(rule_id=rule_id),
        hint=_("see the ids with: auditpipe rules list"),
    )
