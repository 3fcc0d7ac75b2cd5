"""``auditpipe sources``: database audit log source settings."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import EXIT_FINDINGS
from ..i18n import _
from . import cli, exit_codes_help


@cli.group(epilog=exit_codes_help("sources"))
def sources() -> None:
    """Database audit log sources (pgaudit, server_audit, Percona and MySQL Enterprise JSON audit).

    A source is described by one TOML settings file (kind, provider, timezone, schema,
    column map, subject keys, actor patterns, comment keys); `auditpipe ingest --source
    FILE` reads logs with it. docs/sources.md has a complete example.

    \b
    Example:
      auditpipe sources check sources/pg-forum.toml
    """


@sources.command("check", epilog=exit_codes_help("sources check"))
@click.argument("settings_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--catalog",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Extra data catalog (JSON) the mapped fields are checked against.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def check(settings_file: Path, catalog: Path | None, as_json: bool) -> None:
    """Validate a source settings file against its schema.

    Reports mapped columns and subject keys the schema lacks (exit 1), and warns about
    fields outside the data catalog, a missing timezone or missing subject keys (exit 0).

    \b
    Example:
      auditpipe sources check sample_data/_sources/pgaudit/source.toml
    """
    from ..contract import load_catalog
    from ..sources import check_source

    result = check_source(settings_file, load_catalog(catalog))
    s = result.settings
    if as_json:
        from ..console import get_console

        get_console().json(
            {
                "file": str(settings_file),
                "kind": s.kind,
                "provider_id": s.provider_id,
                "tables": result.tables,
                "mapped_columns": len(s.columns),
                "subject_keys": len(s.subject_keys),
                "lookup_keys": len(s.lookup_keys),
                "problems": result.problems,
                "warnings": result.warnings,
                "ok": result.ok,
            }
        )
        if not result.ok:
            raise click.exceptions.Exit(EXIT_FINDINGS)
        return
    click.echo(
        _(
            "{file}: kind {kind}, provider {provider}, {tables} tables, "
            "{columns} mapped columns, {keys} subject keys"
        ).format(
            file=settings_file,
            kind=s.kind,
            provider=s.provider_id,
            tables=result.tables,
            columns=len(s.columns),
            keys=len(s.subject_keys),
        )
    )
    for problem in result.problems:
        click.echo(_("problem: {problem}").format(problem=problem))
    for warning in result.warnings:
        click.echo(_("warning: {warning}").format(warning=warning))
    if not result.ok:
        raise click.exceptions.Exit(EXIT_FINDINGS)
    click.echo(_("ok"))
