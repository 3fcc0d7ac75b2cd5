"""The cron line and the systemd unit of docs/operations.md#scheduling, taken as written: their
auditpipe command lines parse as `auditpipe nightly` options, and the service has the folder of
its --log-file made for its User= (a non-root user cannot create a folder in /var/log, and
nightly exits 2 when it cannot open its log)."""

from __future__ import annotations

import re
import shlex
from pathlib import PurePosixPath

from auditpipe.cli.nightly_cmd import nightly
from tests.support import REPO

PAGE = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
SECTION = PAGE.split("## Scheduling", 1)[1].split("\n## ", 1)[0]


def _block(lang: str, after: str) -> str:
    start = SECTION.index(after)
    return SECTION[start:].split(f"```{lang}\n", 1)[1].split("```", 1)[0]


def _args(command: str) -> list[str]:
    words = shlex.split(command)
    assert words[0].endswith("/auditpipe") and words[1] == "nightly", words
    return words[2:]


def _options(args: list[str]) -> dict[str, object]:
    ctx = nightly.make_context("nightly", list(args), resilient_parsing=False)
    return dict(ctx.params)


def test_the_cron_line_is_a_valid_nightly_command() -> None:
    line = next(ln for ln in _block("cron", "cron").splitlines() if ln.strip() and ln[0] != "#")
    command = " ".join(line.split()[5:])
    params = _options(_args(command))
    assert params["quiet"] and params["log_file"] is not None


def test_the_service_unit_parses_and_makes_its_log_folder() -> None:
    unit = _block("ini", "auditpipe-nightly.service")
    keys = dict(
        ln.split("=", 1) for ln in unit.splitlines() if "=" in ln and not ln.startswith("#")
    )
    params = _options(_args(keys["ExecStart"]))
    log_dir = PurePosixPath(str(params["log_file"])).parent
    assert log_dir.parent == PurePosixPath("/var/log"), log_dir
    assert keys.get("LogsDirectory") == log_dir.name
    assert re.fullmatch(r"\S+", keys["User"])
