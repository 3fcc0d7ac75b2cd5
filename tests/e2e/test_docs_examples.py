"""What the docs show can be run as shown: every ``auditpipe`` command line names a command
that exists, with options it has and choices it accepts; every SQL query and every SQL and
Python block reading the lake runs on a real lake (the shared one: small, already built)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from auditpipe.cli import cli
from auditpipe.cli.lazy import subcommands
from auditpipe.lake import Lake
from tests.support.docs import command_lines, pages, text

PLACEHOLDER = re.compile(r"\.\.\.|…|<[^>]*>")


def documented_lines() -> list[tuple[str, str]]:
    return [(page.name, line) for page in pages() for line in command_lines(text(page))]


def resolve(words: list[str]) -> tuple[click.Command, list[str]]:
    """The command ``auditpipe WORDS`` runs, and the words after its name."""
    command: click.Command = cli
    while isinstance(command, click.Group) and words and words[0] in subcommands(command):
        command, words = subcommands(command)[words[0]], words[1:]
    return command, words


def _global(words: list[str], i: int) -> bool:
    """Whether words[i] is one of auditpipe's own options or the value of --lang."""
    word = words[i]
    return (
        word in {"--debug", "--version"}
        or word.startswith("--lang")
        or (i > 0 and words[i - 1] == "--lang")
    )


def problems(line: str) -> list[str]:
    words = shlex.split(line, comments=True)[1:]
    # auditpipe's own options (--lang, --debug) may come before the command's name.
    words = [w for i, w in enumerate(words) if not _global(words, i)]
    command, rest = resolve(words)
    if isinstance(command, click.Group) and rest and PLACEHOLDER.search(rest[0]):
        return []  # "auditpipe ..." stands for any command
    if isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        return [f"no command {rest[:1]} in auditpipe {' '.join(words[: len(words) - len(rest)])}"]
    params = {o: p for p in [*command.params, *cli.params] for o in p.opts + p.secondary_opts}
    params |= {name: cli.get_help_option(click.Context(cli)) for name in ("--help", "-h")}
    found = []
    for i, word in enumerate(rest):
        if not word.startswith("-") or word == "-" or PLACEHOLDER.search(word):
            continue
        name, _, value = word.partition("=")
        param = params.get(name)
        if param is None:
            found.append(f"no option {name}")
            continue
        if not value and not getattr(param, "is_flag", False) and i + 1 < len(rest):
            value = rest[i + 1]
        choice = param.type
        if (
            isinstance(choice, click.Choice)
            and value
            and not PLACEHOLDER.search(value)
            and value.lower() not in {str(c).lower() for c in choice.choices}
        ):
            found.append(f"{name} {value}: not one of {list(choice.choices)}")
    return found


def test_every_command_line_in_the_docs_has_options_its_command_has() -> None:
    lines = documented_lines()
    assert len(lines) > 100
    bad = {f"{page}: {line}": p for page, line in lines if (p := problems(line))}
    assert bad == {}


def test_the_check_of_command_lines_can_fail() -> None:
    assert problems("auditpipe report --lake x --formats json") == ["no option --formats"]
    assert problems("auditpipe sql --format xml 'SELECT 1'")[0].startswith("--format xml")
    assert problems("auditpipe rules lst")[0].startswith("no command ['lst']")
    assert problems("auditpipe --lang zh-CN report --lake ./lake --unmask") == []


def documented_queries() -> list[tuple[str, str]]:
    """The SQL of every documented ``auditpipe sql ... "QUERY"`` (a placeholder query such as
    "SELECT ..." aside)."""
    found = []
    for page, line in documented_lines():
        words = shlex.split(line, comments=True)
        if words[1:2] != ["sql"]:
            continue
        for word in words[2:]:
            if re.match(r"(?i)(SELECT|WITH|DESCRIBE|SHOW|FROM)\b", word) and word != "SELECT ...":
                found.append((page, word))
    return found


def test_every_sql_query_in_the_docs_runs_on_a_real_lake(shared_lake: Lake) -> None:
    import auditpipe

    queries = documented_queries()
    assert len(queries) >= 10
    con = auditpipe.connect(shared_lake.root)
    failed = {}
    for page, query in queries:
        try:
            con.execute(query).fetchall()
        except Exception as exc:  # noqa: BLE001 - every failure is reported, with its page
            failed[f"{page}: {query}"] = str(exc).splitlines()[0]
    assert failed == {}


def blocks(language: str) -> list[tuple[str, str]]:
    return [
        (page.name, block)
        for page in pages()
        for block in re.findall(rf"^```{language}\n(.*?)^```", text(page), flags=re.S | re.M)
    ]


def test_every_block_reading_the_lake_runs_as_written(
    shared_lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The DuckDB, Polars and auditpipe blocks read ``lake`` from the working folder."""
    import duckdb

    (tmp_path / "lake").symlink_to(shared_lake.root)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AUDITPIPE_LAKE", raising=False)
    ran = []
    for page, block in blocks("sql"):
        if "read_parquet('lake/" in block:
            assert duckdb.sql(block).fetchall(), f"{page}: no rows from\n{block}"
            ran.append(page)
    for page, block in blocks("python"):
        if '"lake' in block:
            exec(compile(block, f"{page} python block", "exec"), {})  # noqa: S102 - the docs' own code
            ran.append(page)
    assert sorted(ran) == ["contract.md", "contract.md", "contract.md", "sql.md"]


def test_every_settings_example_in_the_docs_loads(tmp_path: Path) -> None:
    """Each ```toml block is an auditpipe.toml or a source settings file (it has ``kind``);
    copied as it is, it loads with no error, and the one said to be the sample's source
    settings holds the sample's values."""
    import tomllib

    from auditpipe.config import load_config
    from auditpipe.sources.settings import load_settings as load_source
    from tests.support import REPO
    from tests.unit.test_settings import SETTINGS

    sample = REPO / "sample_data" / "_sources" / "pgaudit"
    examples = blocks("toml")
    assert len(examples) >= 4
    kinds = []
    for n, (page, block) in enumerate(examples):
        folder = tmp_path / str(n)
        folder.mkdir()
        if re.search(r"^kind = ", block, flags=re.M):
            (folder / "schema.sql").write_bytes((sample / "schema.sql").read_bytes())
            (folder / "source.toml").write_text(block, encoding="utf-8")
            load_source(folder / "source.toml")
            if "sample_data/_sources/pgaudit/source.toml" in text(REPO / "docs" / page):
                shown = tomllib.loads(block)
                real = tomllib.loads((sample / "source.toml").read_text(encoding="utf-8"))
                assert {k: shown[k] for k in real} == real, page
            kinds.append("source")
            continue
        (folder / "auditpipe.toml").write_text(block, encoding="utf-8")
        config = load_config(folder / "auditpipe.toml")
        for table in config.data:
            SETTINGS[table].from_config(config)
        kinds.append("auditpipe.toml")
    assert set(kinds) == {"source", "auditpipe.toml"}


def test_the_docs_list_every_view_of_the_lake() -> None:
    """docs/sql.md's table of views, the tables scan() takes, the connection's count of views
    and architecture.md's list name the views there are (accounts and accounts_current were
    once missing from them)."""
    from auditpipe.lake.views import VIEW_NAMES
    from auditpipe.sql import SCAN_TABLES
    from tests.support import REPO

    sql_md = text(REPO / "docs" / "sql.md")
    table = sql_md.split("### The views", 1)[1].split("\n### ", 1)[0]
    assert re.findall(r"^\| `(\w+)` \|", table, flags=re.M) == list(VIEW_NAMES)
    python_api = sql_md.split("## Python API", 1)[1]
    assert set(VIEW_NAMES) == set(SCAN_TABLES)
    assert all(f"`{view}`" in python_api for view in VIEW_NAMES), python_api
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    assert f"with the {words[len(VIEW_NAMES)]} views" in python_api
    views_line = (
        text(REPO / "docs" / "architecture.md").split("- `views.py`", 1)[1].split("- `", 1)[0]
    )
    assert all(f"`{view}`" in views_line for view in VIEW_NAMES), views_line


# The page that documents each table of auditpipe.toml.
SETTINGS_PAGES = {
    "ingest": "ingest.md",
    "detect": "detect.md",
    "penalty": "detect.md",
    "report": "reports.md",
    "nightly": "nightly.md",
    "engine": "spark.md",
    "spark": "spark.md",
}


def test_every_setting_is_documented_with_its_default() -> None:
    """Each key of each table appears on its page; where a settings table gives a literal
    default (a number, a string, a list, true/false), it is the dataclass's."""
    import dataclasses
    import tomllib

    from tests.support import REPO
    from tests.unit.test_settings import SETTINGS

    compared = 0
    for table, page in SETTINGS_PAGES.items():
        markdown = text(REPO / "docs" / page)
        rows = {
            m.group(1): m.group(2).strip()
            for m in re.finditer(r"^\| `(\w+)` \|(?: `--[^|]*\|| \|)? ([^|]*) \|", markdown, re.M)
        }
        for f in dataclasses.fields(SETTINGS[table]):
            if f.metadata.get("config") is False:
                continue
            documented = any(
                form in markdown
                for form in (f"`{f.name}`", f"`[{table}.{f.name}]`", f"`[{table}] {f.name}`")
            )
            assert documented, f"{page} does not document [{table}] {f.name}"
            shown = rows.get(f.name, "").strip("`")
            try:
                literal = tomllib.loads(f"v = {shown}")["v"]
            except tomllib.TOMLDecodeError:
                continue  # prose ("the catalog's", "Spark's", "none")
            default = f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
            default = list(default) if isinstance(default, tuple) else default
            assert literal == default, f"{page}: [{table}] {f.name} default {shown} != {default!r}"
            compared += 1
    assert compared >= 15
