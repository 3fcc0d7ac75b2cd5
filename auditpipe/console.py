"""Everything auditpipe shows a person goes through one ``Console``: data on stdout, messages,
warnings, errors and progress on stderr.

rich does the colour, tables and progress bars (and honours NO_COLOR). When stderr is not a
terminal, progress turns into plain one-line messages so logs and CI output stay readable;
when stdout is not a terminal, tables become tab-separated lines so scripts can cut columns.
Renderers take the console from ``get_console()``; tests (and embedding programs) can install
their own with ``set_console()`` (sqlmesh's get_console/set_console, at a smaller size).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from functools import cache, cached_property
from typing import IO, TYPE_CHECKING, Any

from .errors import OutputError, stdout_error
from .i18n import _

if TYPE_CHECKING:
    from rich.console import Console as RichConsole

# Progress callback: (item being worked on, amount done, amount in total). Items with a total
# of 1.0 are fractions (a file's share read); others are counts (rows generated).
Tick = Callable[[str, float, float], None]


class Console:
    """Human-facing output of one command."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet  # only errors and data; no messages, warnings or progress

    # -- the rich consoles (also for the SQL prompt, which draws on both) -------------------
    # Every text they print may hold what a provider's log or a file's name holds: no text is
    # read as markup ("[/]" in a provider id failed status and the report with an internal
    # error), nor as emoji codes ("Report written to /srv/:cat:/r.json" named /srv/🐱/r.json,
    # a path that does not exist), and characters that would act on the terminal are spelled
    # out (``visible``) in every text rendered, a table's cells included. Style is given as
    # ``style=`` or Text.
    @cached_property
    def out(self) -> RichConsole:
        class Out(_shown_console()):  # type: ignore[misc]
            def on_broken_pipe(self) -> None:
                # rich's own exits 1, which means "findings" to a scheduler. Under the CLI
                # (``guard_stdio``) a closed pipe never reaches rich; elsewhere (an embedding
                # program's stdout) say it as the CLI does.
                self.quiet = True
                _silence(sys.stdout)
                raise stdout_error(BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE)))

        return Out(highlight=False, soft_wrap=True, markup=False, emoji=False)  # type: ignore[no-any-return]

    @cached_property
    def err(self) -> RichConsole:
        shown: Any = _shown_console()
        return shown(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)  # type: ignore[no-any-return]

    @property
    def stdout_is_terminal(self) -> bool:
        return sys.stdout.isatty()

    @property
    def stderr_is_terminal(self) -> bool:
        return sys.stderr.isatty()

    # -- data: stdout ------------------------------------------------------------------------
    def data(self, text: str) -> None:
        """Text exactly as given (a rendered report, CSV...)."""
        sys.stdout.write(text)
        sys.stdout.flush()

    def data_bytes(self, data: bytes) -> None:
        """Bytes exactly as given (UTF-8 CSV...), past the text layer's encoding."""
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:  # a text-only stdout (an embedding program's)
            sys.stdout.write(data.decode("utf-8"))
        else:
            buffer.write(data)
            buffer.flush()

    def json(self, doc: Any) -> None:
        """One JSON document (indented; dates, paths and Decimals as strings)."""
        self.data(json.dumps(doc, indent=2, default=str) + "\n")

    def print(self, *objects: Any, **options: Any) -> None:
        """rich renderables or lines (console markup applies unless markup=False)."""
        self.out.print(*objects, **options)

    def records(
        self,
        columns: Sequence[tuple[str, str]],
        rows: Sequence[Sequence[object]],
        *,
        title: str | None = None,
        plain_order: Sequence[int] | None = None,
        bold_last: bool = False,
    ) -> None:
        """A table of (name, "left"|"right") ``columns`` on a terminal; otherwise tab-separated
        lines with a header, columns in ``plain_order`` (so a file name can come last), values
        unformatted so scripts can read them."""
        if not self.stdout_is_terminal:
            order = list(plain_order) if plain_order is not None else list(range(len(columns)))
            lines = [[columns[i][0] for i in order]]
            # One row a line whatever a value holds: a tab or newline in an id would shift
            # columns or forge a row, so control characters are spelled out (``visible``).
            lines += [[visible(str(row[i])) for i in order] for row in rows]
            self.data("".join("\t".join(line) + "\n" for line in lines))
            return
        from rich.table import Table
        from rich.text import Text

        table = Table(title=Text(visible(title)) if title else None, title_justify="left")
        for name, justify in columns:
            table.add_column(
                name,
                justify="right" if justify == "right" else "left",
                overflow="fold" if name in ("file", _("file")) else "ellipsis",
            )
        for number, row in enumerate(rows, 1):
            style = "bold" if bold_last and number == len(rows) else None
            # Values as Text: never read as rich markup (an id "[/]" would fail the command,
            # "[red]" restyle it), with characters that would act on the terminal spelled out.
            table.add_row(
                *(Text(f"{v:,}" if isinstance(v, int) else visible(str(v))) for v in row),
                style=style,
            )
        self.out.print(table)

    def report_style(self, fmt: str) -> tuple[int, bool]:
        """(width, colour) for a report printed on stdout: the terminal's width up to 100
        columns and colour for the terminal format on a colour terminal (not NO_COLOR)."""
        out = self.out
        color = (
            fmt == "terminal"
            and out.is_terminal
            and not out.no_color
            and out.color_system is not None
        )
        return (min(out.width, 100) if out.is_terminal else 100), color

    # -- people: stderr ----------------------------------------------------------------------
    def message(self, text: str) -> None:
        """A line for the person running the command."""
        if not self.quiet:
            self.err.print(visible(text, newlines=True), markup=False)

    def warn(self, text: str) -> None:
        if not self.quiet:
            text = visible(_("Warning: {text}").format(text=text), newlines=True)
            self.err.print(text, style="yellow", markup=False)

    def error(self, message: str, hint: str | None = None) -> None:
        """``Error: <what>`` and ``Hint: <how to fix>``; shown even when quiet."""
        # A message names files and values from the input: spelled out as ``visible`` does.
        message = visible(_("Error: {message}").format(message=message), newlines=True)
        self.err.print(message, markup=False)
        if hint:
            self.err.print(
                visible(_("Hint: {hint}").format(hint=hint), newlines=True), markup=False
            )

    @contextlib.contextmanager
    def progress(self, verb: str, enabled: bool = True) -> Iterator[Tick | None]:
        """A progress callback ``tick(item, done, total)``, or None when disabled or quiet.

        On a terminal: one rich bar per item. Otherwise a plain line when an item starts
        (``<verb> <item>``) and, for counted items, every tenth of the way.
        """
        if not enabled or self.quiet:
            yield None
            return
        if not self.stderr_is_terminal:
            tenths: dict[str, int] = {}

            def plain(item: str, done: float, total: float) -> None:
                if item not in tenths:
                    tenths[item] = 0
                    self.message(f"{verb} {item}")
                if total > 1 and done * 10 // total > tenths[item]:
                    tenths[item] = int(done * 10 // total)
                    self.message(
                        _("{verb} {item}: {done} of {total}").format(
                            verb=verb, item=item, done=f"{done:,.0f}", total=f"{total:,.0f}"
                        )
                    )

            yield plain
            return
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

        with Progress(
            TextColumn("{task.description}", markup=False),  # a file's name is no markup
            BarColumn(),
            TaskProgressColumn(),
            console=self.err,
            transient=True,
        ) as bar:
            tasks: dict[str, Any] = {}

            def rich_tick(item: str, done: float, total: float) -> None:
                if item not in tasks:
                    tasks[item] = bar.add_task(visible(f"{verb} {item}"), total=total)
                bar.update(tasks[item], completed=done, total=total)

            yield rich_tick


_console: Console | None = None


# -- standard streams while a command runs -------------------------------------------------
class StdioGuard:
    """What the CLI does about standard streams it cannot write (``guard_stdio``).

    stdout: the first write or flush that fails (a reader that closed the pipe, a file on a
    full disk, a descriptor closed with ``>&-``) raises ``OutputError`` saying so, once; the
    command ends there with exit 2 and that message (docs/operations.md). It is not an
    OSError, so neither click (which exits 1, "findings", on EPIPE) nor the disk-full
    explanation (which would blame the lake) takes it. Later writes are dropped, and the
    descriptor is pointed at /dev/null so that the interpreter's last flush cannot fail again.

    stderr: a message that cannot be written is dropped (there is nowhere to say so); the exit
    code still tells. Descriptors 0, 1 and 2 that were closed when the command started are
    opened on /dev/null first, so a lake file opened later can never become one of them.
    """

    def __init__(self) -> None:
        self.failure: OutputError | None = None
        self._saved: tuple[Any, Any, Any] | None = None

    def fail(self, exc: OSError, stream: Any) -> OutputError:
        """The OutputError for stdout's failed write ``exc``, remembered; stdout silenced."""
        _silence(stream)
        if self.failure is None:
            self.failure = stdout_error(exc)
        return self.failure

    def install(self) -> StdioGuard:
        self._saved = (sys.stdin, sys.stdout, sys.stderr)
        closed = {fd for fd in (0, 1, 2) if not _is_open(fd)}
        for fd in sorted(closed):
            _reserve(fd)
        if 0 in closed or sys.stdin is None:
            sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115 - for the command's life
        if 1 in closed or sys.stdout is None:
            sys.stdout = _GuardedStdout(_ClosedStream(), self)
        else:
            sys.stdout = _GuardedStdout(sys.stdout, self)
        if 2 in closed or sys.stderr is None:
            sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        sys.stderr = _GuardedStderr(sys.stderr)
        return self

    def flush(self) -> None:
        """Flush stdout; a failure is remembered in ``failure`` like any other."""
        if self._saved is not None:
            with contextlib.suppress(OutputError):
                sys.stdout.flush()

    def finish(self) -> None:
        """Flush stdout, and put the streams back."""
        if self._saved is None:
            return
        self.flush()
        sys.stdin, sys.stdout, sys.stderr = self._saved
        self._saved = None


@contextlib.contextmanager
def guard_stdio() -> Iterator[StdioGuard]:
    """Standard streams guarded as ``StdioGuard`` says, for the life of one command."""
    guard = StdioGuard().install()
    try:
        yield guard
    finally:
        guard.finish()


class _Proxy:
    """A stream whose other attributes (isatty, fileno, encoding ...) are its inner one's."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _GuardedStdout(_Proxy):
    def __init__(self, inner: Any, guard: StdioGuard) -> None:
        super().__init__(inner)
        self._guard = guard
        self._buffer = (
            _GuardedBytes(inner.buffer, guard, inner) if hasattr(inner, "buffer") else None
        )

    @property
    def buffer(self) -> Any:
        if self._buffer is None:
            raise AttributeError("buffer")
        return self._buffer

    def write(self, text: str) -> int:
        return _guarded(self._guard, self._inner, lambda: self._inner.write(text), len(text))

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        _guarded(self._guard, self._inner, self._inner.flush, None)


class _GuardedBytes(_Proxy):
    def __init__(self, inner: Any, guard: StdioGuard, text: Any) -> None:
        super().__init__(inner)
        self._guard = guard
        self._text = text

    def write(self, data: Any) -> int:
        return _guarded(self._guard, self._text, lambda: self._inner.write(data), len(data))

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        _guarded(self._guard, self._text, self._inner.flush, None)


def _guarded(guard: StdioGuard, stream: Any, write: Callable[[], Any], dropped: Any) -> Any:
    if guard.failure is not None:
        return dropped  # said once already; the rest of the output goes nowhere
    try:
        return write()
    except OSError as exc:
        raise guard.fail(exc, stream) from exc
    except ValueError as exc:  # "I/O operation on closed file": closed by someone on the way
        if not getattr(stream, "closed", False):
            raise  # an encoding error, say: not the stream's
        raise guard.fail(OSError(errno.EBADF, os.strerror(errno.EBADF)), stream) from exc


class _GuardedStderr(_Proxy):
    def write(self, text: str) -> int:
        with contextlib.suppress(OSError, ValueError):
            return int(self._inner.write(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._inner.flush()


class _ClosedStream:
    """stdout when the command was started with it closed (``>&-``): writing fails (EBADF)."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self) -> None:
        self.buffer = self

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 1

    def write(self, data: Any) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))

    def flush(self) -> None:
        pass


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _reserve(fd: int) -> None:
    """Open /dev/null as descriptor ``fd`` (closed when the command started)."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_RDWR)
        if devnull != fd:
            os.dup2(devnull, fd)
            os.close(devnull)


def _silence(stream: IO[Any] | Any) -> None:
    """Point ``stream``'s descriptor at /dev/null, so that bytes still buffered for it do not
    fail again (and print "Exception ignored") when the interpreter flushes it on exit."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        fd = stream.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)


# Characters that change how the text around them is shown instead of being shown: C0 and C1
# controls and DEL (a terminal runs an ESC sequence, a carriage return or backspace writes over
# what came before), Unicode's bidirectional formatting characters (U+202E shows what follows
# reversed: "a\u202egnp.exe" reads "aexe.png") and the line and paragraph separators. A
# provider's log can hold any of them in an id; shown as they are, they could forge or hide
# lines in a report or a terminal.
_OTHER_HIDDEN = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_HIDDEN = re.compile(f"[\x00-\x1f{_OTHER_HIDDEN}]")
_HIDDEN_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f{_OTHER_HIDDEN}]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _spelled(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def visible(text: str, *, newlines: bool = False) -> str:
    """``text`` with every character that would act instead of being seen written as an escape
    (``\\x1b``, ``\\r``, ``\\n``, ``\\u202e``), so a value shows what it holds and nothing
    more; ``newlines``: keep line feeds (text whose lines are laid out as lines, e.g. HTML)."""
    pattern = _HIDDEN_BUT_NEWLINE if newlines else _HIDDEN
    return pattern.sub(_spelled, text) if pattern.search(text) else text


@cache
def _hidden_class_sql() -> str:
    """``_HIDDEN`` as an RE2 character class of code points (made once: it tests 8,304
    characters, a tenth of a second that every ``findings show`` paid a dozen times)."""
    codes = [c for c in range(0x2070) if _HIDDEN.match(chr(c))]
    return "[" + "".join(f"\\x{{{c:x}}}" for c in codes) + "]"


def visible_sql(expr: str) -> str:
    """``visible`` in DuckDB, over the text ``expr``: for text DuckDB formats batch by batch
    (``findings show``), so no Python runs per row; only values holding such a character pay
    for the spelling, character by character. ``expr`` appears once (a lambda's argument) and
    the spelling is one expression, not a replace() per character: a query of a dozen of
    these is bound and run in about 0.02 s, where a chain of 80 nested replace() over three
    copies of each value took 0.2-0.4 s (every ``findings show --format text`` paid it)."""
    pattern = _hidden_class_sql()
    named = " ".join(f"WHEN vis_c = chr({ord(c)}) THEN '{e}'" for c, e in _NAMED.items())
    spell = (
        f"CASE WHEN NOT regexp_matches(vis_c, '{pattern}') THEN vis_c {named} "
        "WHEN unicode(vis_c) < 256 THEN printf('\\x%02x', unicode(vis_c)) "
        "ELSE printf('\\u%04x', unicode(vis_c)) END"
    )
    spelled = (
        f"list_reduce(list_transform(regexp_extract_all(vis_s, '(?s).'), lambda vis_c: {spell}), "
        "lambda vis_a, vis_b: vis_a || vis_b, '')"
    )
    return (
        f"list_transform([{expr}], lambda vis_s: CASE WHEN regexp_matches(vis_s, '{pattern}') "
        f"THEN {spelled} ELSE vis_s END)[1]"
    )


def _shown_console() -> type[RichConsole]:
    """A rich Console that renders every text as ``visible`` spells it (line feeds kept)."""
    from rich.console import Console as RichConsole

    class Shown(RichConsole):
        def render_str(self, text: str, **options: Any) -> Any:
            return super().render_str(visible(text, newlines=True), **options)

    return Shown


def printable(name: str) -> str:
    """A file's name as any stdout can print it: bytes of it that are not UTF-8 (a name saved
    in GBK, which Python holds as surrogates) written \\xNN instead of failing to encode, and
    control and bidirectional formatting characters spelled out (``visible``). A provider names its files: a name
    holding an escape sequence recoloured or rewrote the operator's terminal, and one holding
    a carriage return or a bell was printed without it, a name no file has."""
    return visible(os.fsencode(name).decode("utf-8", "backslashreplace"))


def get_console() -> Console:
    global _console
    if _console is None:
        _console = Console()
    return _console


def set_console(console: Console | None) -> None:
    """Install ``console`` for this process (None: a default one on next use)."""
    global _console
    _console = console


def message(text: str) -> None:
    """A line for the person running the command (stderr)."""
    get_console().message(text)


def warn(text: str) -> None:
    get_console().warn(text)
