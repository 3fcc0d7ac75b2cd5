"""``auditpipe sources check``: source settings against their schema and the catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..contract import Catalog
from ..i18n import _
from .pgaudit import prefix_names_users
from .schema import DbSchema, ident, load_schema
from .settings import SourceSettings, etc_gmt_warning, load_settings, split_name


@dataclass
class CheckResult:
    settings: SourceSettings
    tables: int = 0
    problems: list[str] = field(default_factory=list)  # the settings cannot work as written
    warnings: list[str] = field(default_factory=list)  # they work, but probably not as meant

    @property
    def ok(self) -> bool:
        return not self.problems


def check_source(path: Path, catalog: Catalog) -> CheckResult:
    """Settings load (unknown keys, bad values raise ConfigError); then every mapped column
    and subject key must exist in the schema, and mapped fields should be catalog fields."""
    settings = load_settings(path)
    result = CheckResult(settings)
    if settings.schema_file is None:
        result.problems.append(no_schema_message())
        return result
    schema = load_schema(settings.schema_file, settings.dialect)
    result.tables = len(schema.tables)
    result.problems += schema_problems(settings, schema)
    for table, schemas in sorted(schema.merged.items()):
        result.warnings.append(
            _(
                "table {table} is defined in {schemas}: statements name tables without their "
                "schema, so its columns are those of all of them; a schema holding copies "
                "(archive, backup) can be left out of the dump"
            ).format(table=table, schemas=", ".join(s or "?" for s in schemas))
        )
    known = {e.name for e in catalog.entries}
    for ref, data_field in sorted(settings.columns.items()):
        if data_field not in known:
            result.warnings.append(
                _("[columns] {ref} = {field!r} is not in the data catalog (class 'other')").format(
                    ref=ref, field=data_field
                )
            )
    if not settings.columns:
        result.warnings.append(
            _(
                "no [columns]: no column is mapped to a catalog field, so no statement counts "
                "as reading personal data; map the columns that hold it (e.g. "
                '"accounts.id_card_no" = "id_number")'
            )
        )
    if not settings.subject_keys:
        result.warnings.append(
            _(
                "no subject_keys: no statement can be narrowed to a user, so every read of a "
                "protected column counts as unbounded"
            )
        )
    if (
        settings.kind == "pgaudit"
        and settings.format in (None, "stderr", "syslog")
        and not prefix_names_users(settings.log_line_prefix)
    ):
        result.warnings.append(
            _(
                "log_line_prefix {prefix!r} has no %u: a stderr log then names each session's "
                "user only in log_connections' 'connection authorized' record, and a statement "
                "whose session has none in its file is quarantined; add %u (e.g. "
                "'%m [%p] %q%u@%d ') in postgresql.conf and here"
            ).format(prefix=settings.log_line_prefix)
        )
    # (syslog names each record's process itself: postgres[PID])
    if (
        settings.kind == "pgaudit"
        and settings.format in (None, "stderr")
        and not {"%p", "%c"} & set(_escapes(settings.log_line_prefix))
    ):
        result.warnings.append(
            _(
                "log_line_prefix {prefix!r} has neither %p nor %c: the records of concurrent "
                "sessions cannot be told apart, and the lines of two sessions' statements with "
                "the same number may be read as one statement; add %p or %c (e.g. "
                "'%m [%p] %q%u@%d ') in postgresql.conf and here"
            ).format(prefix=settings.log_line_prefix)
        )
    inverted = etc_gmt_warning(settings.timezone)
    if inverted:
        result.warnings.append(inverted)
    if settings.timezone is None:
        result.warnings.append(
            _(
                "no timezone: logs whose times carry no zone or an ambiguous abbreviation (CST) "
                "will be refused"
            )
        )
    return result


def no_schema_message() -> str:
    return _(
        'no schema: give schema = "schema.sql" (pg_dump --schema-only / mysqldump '
        "--no-data) or an information_schema.columns CSV, so SELECT * can be expanded"
    )


def schema_problems(settings: SourceSettings, schema: DbSchema) -> list[str]:
    """The mapped columns and subject keys the schema lacks: each would silently count
    nothing, so `sources check` reports them and ingest refuses the settings. A name whose
    unquoted dots the schema has as one table's name (``user.profile.nick`` where the schema
    has the table ``"user.profile"``) says how to write it."""
    problems = [
        _("[columns] names {ref}, which the schema lacks").format(ref=ref)
        + _dotted_hint(settings.spellings.get(ref, ref), schema)
        for ref in sorted(settings.columns)
        if not schema.has(ref)
    ]
    problems += [
        _("subject key {ref} is not a column of the schema").format(ref=ref)
        + _dotted_hint(settings.spellings.get(ref, ref), schema)
        for ref in settings.subject_keys
        if not schema.has(ref)
    ]
    problems += [
        _("lookup key {ref} is not a column of the schema").format(ref=ref)
        + _dotted_hint(settings.spellings.get(ref, ref), schema)
        for ref in settings.lookup_keys
        if not schema.has(ref)
    ]
    return problems


def _dotted_hint(spelled: str, schema: DbSchema) -> str:
    """``: write '"user.profile".nick' …`` when the dots of a name written unquoted join
    into a table of the schema that has the column; else nothing."""
    parts = split_name(spelled) or []
    for start in range(len(parts) - 2):
        for end in range(len(parts) - 1, start + 1, -1):
            table, column = ".".join(parts[start:end]), ".".join(parts[end:])
            quoted = f"{ident(table)}.{ident(column)}"
            if schema.has(quoted):
                return _(
                    " (the schema has the table {table!r}, whose name holds a dot: write "
                    "{quoted!r}, quoted as in SQL; unquoted, dots separate schema, table and "
                    "column)"
                ).format(table=table, quoted=quoted)
    return ""


def _escapes(prefix: str) -> list[str]:
    """The %-escapes of a log_line_prefix ("%%" is a literal "%")."""
    import re

    return ["%" + m for m in re.findall(r"%-?\d*([a-zA-Z%])", prefix) if m != "%"]
