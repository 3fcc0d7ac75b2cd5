"""The Babel extractor for auditpipe's Python files (named in ``babel.cfg``).

Besides what Babel's own Python extractor finds (``_()``, ``N_()``, ``ngettext()``; the same
calls inside f-strings are found here too), it takes
the texts click shows in ``--help`` without any marking: every string literal passed as
``help=`` or ``short_help=`` (implicitly concatenated or joined with ``+``), and the docstring
of every function decorated with ``.command(...)`` or ``.group(...)``. Each is cleaned the way
click cleans it (``inspect.cleandoc``), so the message id is exactly the text click holds.
Used only by ``make translations`` and the catalog test; nothing imports it at run time.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

HELP_KEYWORDS = ("help", "short_help")
COMMAND_DECORATORS = ("command", "group")

Message = tuple[Any, ...]  # (line, function name or None, message(s), comments[, context])


def literal_text(node: ast.expr) -> str | None:
    """The text of a string literal, or of literals joined with ``+``; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = literal_text(node.left), literal_text(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _is_command(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in COMMAND_DECORATORS


def click_texts(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every help literal and command docstring in ``source``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                text = literal_text(keyword.value) if keyword.arg in HELP_KEYWORDS else None
                if text and text.strip():
                    yield keyword.value.lineno, inspect.cleandoc(text)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
            _is_command(d) for d in node.decorator_list
        ):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield node.lineno, doc


def gettext_calls(source: str) -> Iterator[tuple[int, str | None, str | tuple[str, str]]]:
    """``_("...")``, ``N_("...")`` and ``ngettext("...", "...", n)`` anywhere, f-strings
    included (Babel's tokenizer does not look inside an f-string's braces)."""
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        texts = [literal_text(a) for a in node.args[:2]]
        if node.func.id in ("_", "N_") and texts and texts[0]:
            yield node.lineno, None, texts[0]
        elif node.func.id == "ngettext" and len(texts) == 2 and texts[0] and texts[1]:
            yield node.lineno, "ngettext", (texts[0], texts[1])


def extract_auditpipe(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any] | Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Message]:
    from babel.messages.extract import extract_python

    source = fileobj.read()
    fileobj.seek(0)
    yield from extract_python(fileobj, keywords, comment_tags, options)  # type: ignore[arg-type,misc]
    text = source.decode(options.get("encoding", "utf-8"))
    for line, message in click_texts(text):
        yield line, None, message, []
    for line, funcname, found in gettext_calls(text):
        yield line, funcname, found, []
