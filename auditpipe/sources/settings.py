"""Source settings: one TOML file per database audit log source.

```toml
kind = "pgaudit"                  # pgaudit | server_audit | percona_audit_json |
                                  # percona_audit_xml | percona_audit_csv | mysql_audit_json |
                                  # mysql_audit_xml
format = "stderr"                 # pgaudit only: stderr | csvlog | jsonlog | syslog (default:
                                  # from the name, also after logrotate's .1 or -DATE)
log_line_prefix = "%m [%p] %q%u@%d "   # pgaudit stderr only; or "rds" for %t:%r:%u@%d:[%p]:
provider_id = "forum-a"
provider_type = "iisp"
system = "accounts-db"            # default: the kind's database family
timezone = "Asia/Shanghai"        # the log's timezone, for times printed without a clear zone
schema = "schema.sql"             # DDL (pg_dump --schema-only / mysqldump --no-data) or an
                                  # information_schema.columns export (.csv with a header)
subject_keys = ["accounts.id", "orders.account_id"]
lookup_keys = ["accounts.mobile"]   # personal columns a statement finds one user by: narrowed,
                                  # and the value is never stored (never a subject key too)
query_log_limit = 1024            # server_audit_query_log_limit (server_audit only; 0: none)
non_utf8_encoding = "gb18030"     # how a line that is not UTF-8 is read ("none": bad bytes as \\xNN)
files = ["postgresql*.log"]       # name patterns of this source's logs when the file is listed
                                  # under [ingest] sources in auditpipe.toml

[columns]                         # table.column -> catalog data field
"accounts.id_card_no" = "id_number"

[actors]                          # database user glob -> actor_type; unmatched: unknown
"svc_*" = "service"

[comments]                        # sqlcommenter keys carrying the ticket and the purpose
ticket = "ticket"
purpose = "purpose"
```

Unknown keys are errors (a typo must not silently switch a check off). Relative paths are
read from the settings file's folder.
"""

from __future__ import annotations

import re
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contract import normalize_name
from ..errors import ConfigError
from ..i18n import _
from .schema import ident

KINDS = (
    "pgaudit",
    "server_audit",
    "percona_audit_json",
    "percona_audit_xml",
    "percona_audit_csv",
    "mysql_audit_json",
    "mysql_audit_xml",
)
PG_FORMATS = ("stderr", "csvlog", "jsonlog", "syslog")
ACTOR_TYPES = ("subject", "employee", "service", "partner", "unknown")
RDS_PREFIX = "%t:%r:%u@%d:[%p]:"
PREFIX_PRESETS = {"rds": RDS_PREFIX}
DEFAULT_SYSTEM = {kind: "postgresql" if kind == "pgaudit" else "mysql" for kind in KINDS}
DIALECT = {kind: "postgres" if kind == "pgaudit" else "mysql" for kind in KINDS}

_TOP_KEYS = {
    "kind",
    "format",
    "log_line_prefix",
    "provider_id",
    "provider_type",
    "system",
    "timezone",
    "schema",
    "subject_keys",
    "lookup_keys",
    "query_log_limit",
    "columns",
    "actors",
    "comments",
    "files",
    "non_utf8_encoding",
}
_COMMENT_KEYS = {"ticket", "purpose"}


@dataclass(frozen=True)
class SourceSettings:
    kind: str
    provider_id: str
    path: Path | None = None  # the settings file, for messages
    format: str | None = None
    log_line_prefix: str = "%m [%p] %q%u@%d "
    provider_type: str | None = None
    system: str | None = None
    timezone: str | None = None
    schema_file: Path | None = None
    subject_keys: tuple[str, ...] = ()
    # Personal columns a statement finds users by (`WHERE mobile = '139...'`): such a statement
    # reads those users' rows, so it is narrowed, with no subject (the value is personal).
    lookup_keys: tuple[str, ...] = ()
    query_log_limit: int = 1024
    columns: dict[str, str] = field(default_factory=dict)  # "table.column" -> data field
    # each "table.column" of [columns], subject_keys and lookup_keys -> as the settings wrote
    # it (`sources check` tells a dotted table written unquoted from there)
    spellings: dict[str, str] = field(default_factory=dict)
    actors: tuple[tuple[str, str], ...] = ()  # (glob, actor_type), first match wins
    ticket_key: str | None = "ticket"
    purpose_key: str | None = "purpose"
    files: tuple[str, ...] = ()  # file name globs (auditpipe.toml [ingest] sources)
    # How a log line that is not UTF-8 is read: a client connected in GBK has its statements
    # logged in GBK (server_audit logs what the client sent). None: bad bytes written \xNN.
    non_utf8_encoding: str | None = "gb18030"

    @property
    def dialect(self) -> str:
        return DIALECT[self.kind]

    @property
    def system_name(self) -> str:
        return self.system or DEFAULT_SYSTEM[self.kind]

    def where(self) -> str:
        return str(self.path) if self.path else "source settings"


def _fail(where: str, message: str, hint: str) -> ConfigError:
    return ConfigError(f"{where}: {message}", hint=hint)


def _str(data: dict[str, Any], key: str, where: str, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise _fail(
                where,
                _("'{key}' is missing").format(key=key),
                _('add {key} = "..." to the file').format(key=key),
            )
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(
            where,
            _("'{key}' should be a non-empty string").format(key=key),
            _('write {key} = "..."').format(key=key),
        )
    return value.strip()


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise _fail(
            where,
            _("[{key}] should be a table").format(key=key),
            _("write [{key}] then key = value lines").format(key=key),
        )
    return value


# Abbreviations a log prints (PostgreSQL's log_timezone), which are not zone names: the zones
# each may stand for.
_ABBREVIATIONS = {
    "CST": ("Asia/Shanghai", "America/Chicago"),
    "CDT": ("America/Chicago",),
    "IST": ("Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"),
    "BST": ("Europe/London",),
    "HKT": ("Asia/Hong_Kong",),
    "JST": ("Asia/Tokyo",),
    "KST": ("Asia/Seoul",),
    "SGT": ("Asia/Singapore",),
    "PST": ("America/Los_Angeles",),
    "PDT": ("America/Los_Angeles",),
    "EDT": ("America/New_York",),
    "MSK": ("Europe/Moscow",),
    "AEST": ("Australia/Sydney",),
}
_OFFSET = re.compile(r"(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?", re.I)


def check_timezone_name(name: str, where: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _fail(
            where, _("unknown timezone {name!r}").format(name=name), _timezone_hint(name)
        ) from None
    return name


def _timezone_hint(name: str) -> str:
    """What to write instead of ``name``: the zone an abbreviation, an offset or a name in
    another case stands for."""
    zones = _ABBREVIATIONS.get(name.strip().upper())
    if zones:
        return _(
            "{name} is an abbreviation, not a zone: write the IANA name of the server's "
            "log_timezone, e.g. {zones}"
        ).format(name=name, zones=_(" or ").join(zones))
    offset = _OFFSET.fullmatch(name.strip())
    if offset:
        sign, hours, minutes = offset.groups()
        etc = f"Etc/GMT{'-' if sign == '+' else '+'}{int(hours)}"
        if minutes in (None, "00") and 0 < int(hours) <= (14 if sign == "+" else 12):
            return _(
                "{name} is an offset, not a zone: write the region's IANA name (e.g. "
                "Asia/Shanghai for +08), or {etc} for a fixed UTC{sign}{hours} (Etc/GMT names "
                "invert the sign)"
            ).format(name=name, etc=etc, sign=sign, hours=int(hours))
        return _("{name} is an offset, not a zone: write the region's IANA name").format(name=name)
    same = {z.lower(): z for z in zoneinfo.available_timezones()}.get(name.strip().lower())
    if same:
        return _("zone names are case-sensitive: write {zone}").format(zone=same)
    return _("use an IANA name such as Asia/Shanghai")


def etc_gmt_warning(name: str | None) -> str | None:
    """Etc/GMT+8 is UTC-8 (POSIX inverts the sign): read as meant for UTC+8, a log's times
    would be 16 hours off."""
    m = re.fullmatch(r"Etc/GMT([+-])(\d{1,2})", name or "")
    if not m or int(m.group(2)) == 0:
        return None
    sign, hours = m.groups()
    other = "-" if sign == "+" else "+"
    return _(
        "timezone {name} is UTC{other}{hours} (Etc/GMT names invert the sign): for a server at "
        "UTC{sign}{hours} write the region's name (e.g. Asia/Shanghai) or Etc/GMT{other}{hours}"
    ).format(name=name, other=other, sign=sign, hours=int(hours))


# One part of a dotted name: "quoted" (PostgreSQL, "" inside), `quoted` (MySQL, `` inside), or
# bare. Quoted parts are how a dump spells names with capitals, spaces or dots in them.
_NAME_PART = re.compile(r'"((?:[^"]|"")+)"|`((?:[^`]|``)+)`|([^."`]+)')


def split_name(ref: str) -> list[str] | None:
    """The parts of a dotted, possibly quoted name, unquoted and lower-cased (the schema and
    the statements are matched by lower-cased name); None when it is not a dotted name."""
    parts, at, text = [], 0, ref.strip()
    while True:
        m = _NAME_PART.match(text, at)
        if not m:
            return None
        quoted, backticked, bare = m.groups()
        part = (
            quoted.replace('""', '"')
            if quoted is not None
            else backticked.replace("``", "`")
            if backticked is not None
            else bare.strip()
        )
        if not part:
            return None
        parts.append(part.lower())
        at = m.end()
        if at == len(text):
            return parts
        if text[at] != ".":
            return None
        at += 1


def _column_ref(ref: str, where: str, what: str, spellings: dict[str, str] | None = None) -> str:
    parts = split_name(ref)
    if parts is None or len(parts) < 2:
        raise _fail(
            where,
            _("{what} {ref!r} is not table.column").format(what=what, ref=ref),
            _('write e.g. accounts.id_card_no, or \'"Customer Data"."RealName"\' for quoted names'),
        )
    # schema-qualified names are matched by table and column; a part holding a dot (written
    # quoted: '"user.profile".nick') stays quoted, so the reference splits back into its two
    joined = ".".join(ident(p) for p in parts[-2:])
    if spellings is not None:
        spellings.setdefault(joined, ref)
    return joined


def parse_settings(data: dict[str, Any], path: Path | None = None) -> SourceSettings:
    where = str(path) if path else _("source settings")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise _fail(
            where,
            "; ".join(_unknown_key(key, _TOP_KEYS) for key in unknown),
            _("the keys are: {keys}").format(keys=", ".join(sorted(_TOP_KEYS))),
        )
    kind = _str(data, "kind", where, required=True)
    if kind not in KINDS:
        raise _fail(
            where,
            _("unknown kind {kind!r}").format(kind=kind),
            _("kind is one of {kinds}").format(kinds=", ".join(KINDS)),
        )
    fmt = _str(data, "format", where)
    if fmt is not None and kind == "pgaudit" and fmt not in PG_FORMATS:
        # csv, json: log_destination's values are csvlog and jsonlog
        meant = [f for f in PG_FORMATS if f.startswith(fmt.lower())]
        raise _fail(
            where,
            _("format {fmt!r} is not a pgaudit log format").format(fmt=fmt)
            + (_(": did you mean {meant}?").format(meant=meant[0]) if len(meant) == 1 else ""),
            _("format is one of {formats}, as log_destination in postgresql.conf").format(
                formats=", ".join(PG_FORMATS)
            ),
        )
    if fmt is not None and kind != "pgaudit":
        raise _fail(
            where,
            _("format {fmt!r} does not apply to kind {kind}").format(fmt=fmt, kind=kind),
            _("format is for pgaudit only: {formats}").format(formats=", ".join(PG_FORMATS)),
        )
    prefix = data.get("log_line_prefix", "%m [%p] %q%u@%d ")
    if not isinstance(prefix, str):
        raise _fail(
            where, _("'log_line_prefix' should be a string"), _("copy it from postgresql.conf")
        )
    prefix = PREFIX_PRESETS.get(prefix, prefix)
    timezone = _str(data, "timezone", where)
    if timezone is not None:
        check_timezone_name(timezone, where)
    base = path.parent if path else Path.cwd()
    schema = _str(data, "schema", where)
    schema_file = (base / schema) if schema else None
    keys = data.get("subject_keys", [])
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise _fail(where, _("'subject_keys' should be a list of strings"), 'e.g. ["accounts.id"]')
    spellings: dict[str, str] = {}
    subject_keys = tuple(_column_ref(k, where, "subject key", spellings) for k in keys)
    lookups = data.get("lookup_keys", [])
    if not isinstance(lookups, list) or not all(isinstance(k, str) for k in lookups):
        raise _fail(
            where, _("'lookup_keys' should be a list of strings"), 'e.g. ["accounts.mobile"]'
        )
    lookup_keys = tuple(_column_ref(k, where, "lookup key", spellings) for k in lookups)
    both = sorted(set(subject_keys) & set(lookup_keys))
    if both:
        raise _fail(
            where,
            _("{refs} is both a subject key and a lookup key").format(refs=", ".join(both)),
            _(
                "a subject key's value is stored as the event's subject; a lookup key's is "
                "personal and never stored: keep the column in one list only"
            ),
        )
    limit = data.get("query_log_limit", 1024)
    # server_audit_query_log_limit = 0 is MariaDB's "no limit" (log_statement_ex cuts only
    # when the limit is above 0): every statement is logged whole.
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise _fail(
            where,
            _(
                "'query_log_limit' should be a whole number of bytes, 0 or more, not {limit!r}"
            ).format(limit=limit),
            _(
                "the server's server_audit_query_log_limit, e.g. 1024 (its default); 0 means no limit"
            ),
        )
    columns = {}
    for ref, data_field in _table(data, "columns", where).items():
        if not isinstance(data_field, str) or not data_field.strip():
            raise _fail(
                where,
                _("[columns] {ref!r} needs a data field name").format(ref=ref),
                'e.g. = "id_number"',
            )
        columns[_column_ref(ref, where, _("[columns] key"), spellings)] = normalize_name(data_field)
    actors = []
    for pattern, actor_type in _table(data, "actors", where).items():
        if actor_type not in ACTOR_TYPES:
            raise _fail(
                where,
                _("[actors] {pattern!r} = {actor_type!r} is not an actor type").format(
                    pattern=pattern, actor_type=actor_type
                ),
                _("use one of ") + ", ".join(ACTOR_TYPES),
            )
        actors.append((pattern, actor_type))
    files = data.get("files", [])
    if not isinstance(files, list) or not all(isinstance(f, str) and f for f in files):
        raise _fail(where, _("'files' should be a list of file name patterns"), 'e.g. ["*.log"]')
    fallback = data.get("non_utf8_encoding", "gb18030")
    if not isinstance(fallback, str) or not _is_codec(fallback):
        raise _fail(
            where,
            _("'non_utf8_encoding' {value!r} is not an encoding").format(value=fallback),
            _('e.g. "gb18030" (the default), "big5", "latin-1", or "none" for \\xNN escapes'),
        )
    comments = _table(data, "comments", where)
    bad = sorted(set(comments) - _COMMENT_KEYS)
    if bad:
        raise _fail(
            where,
            _("unknown [comments] key(s) {keys}").format(keys=", ".join(bad)),
            _("use ticket and purpose"),
        )
    return SourceSettings(
        kind=kind,
        provider_id=_str(data, "provider_id", where, required=True) or "",
        path=path,
        format=fmt,
        log_line_prefix=prefix,
        provider_type=_str(data, "provider_type", where),
        system=_str(data, "system", where),
        timezone=timezone,
        schema_file=schema_file,
        subject_keys=subject_keys,
        lookup_keys=lookup_keys,
        query_log_limit=limit,
        columns=columns,
        spellings=spellings,
        actors=tuple(actors),
        ticket_key=comments.get("ticket", "ticket") or None,
        purpose_key=comments.get("purpose", "purpose") or None,
        files=tuple(files),
        non_utf8_encoding=None if fallback.lower() == "none" else fallback,
    )


def _unknown_key(key: str, known: set[str]) -> str:
    """``unknown key 'subject_key': did you mean subject_keys?`` (a typo of a known key)."""
    import difflib

    meant = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    if meant:
        return _("unknown key {key!r}: did you mean {meant}?").format(key=key, meant=meant[0])
    return _("unknown key {key!r}").format(key=key)


def _is_codec(name: str) -> bool:
    import codecs

    if name.lower() == "none":
        return True
    try:
        return codecs.lookup(name).name not in ("utf-8",)
    except LookupError:
        return False


def load_settings(path: Path) -> SourceSettings:
    """Read and check one source settings file; ConfigError says what to fix."""
    try:
        # utf-8-sig: a byte order mark (Windows Notepad writes one) is not part of the TOML.
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(
            _("source settings {path} does not exist").format(path=path),
            hint=_("check the path given to --source"),
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            _("cannot read source settings {path}: {exc}").format(path=path, exc=exc)
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            _("source settings {path} is not valid TOML: {exc}").format(path=path, exc=exc)
        ) from exc
    return parse_settings(data, path.resolve())
