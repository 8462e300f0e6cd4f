"""Statements from tokens, for languages without a grammar here (Go, Rust, Kotlin, ...).

Pygments tokens (names and literals already as classes) are cut into statements at ``;``,
braces, layout tokens and line ends outside brackets; loop keywords become one ``loop``
class. No rewrite is undone, but statements still compare as multisets, so reordering and
moved declarations do not hide a copy.
"""

from __future__ import annotations

from .syntax import StatementPrint
from .tokens import code_tokenize

_STATEMENT_END = {";", "{", "}", "NEWLINE", "INDENT", "DEDENT"}
_LOOP_WORDS = {"for", "while", "loop", "do", "foreach", "until"}


def token_statements(code: str, language: str) -> tuple[list[StatementPrint], list[str]]:
    """Statements from tokens, for code without a grammar (or Python that does not parse)."""
    statements: list[StatementPrint] = []
    blocks: list[str] = []
    stack: list[tuple[str, list[str]]] = [("top", [])]
    current: list[str] = []
    first = last = 0
    last_text = "top"
    depth = 0
    for token in code_tokenize(code, language):
        kind = "loop" if token.kind in _LOOP_WORDS else token.kind
        if current and depth == 0 and token.line > last:
            # A line break outside brackets ends a statement in most languages without ';'.
            _flush(current, stack, statements, first, last)
            last_text = " ".join(current)
            current = []
        if kind in ("(", "["):
            depth += 1
        elif kind in (")", "]"):
            depth = max(depth - 1, 0)
        if kind not in _STATEMENT_END:
            if not current:
                first = token.line
            current.append(kind)
            last = token.end_line
            continue
        if current:
            _flush(current, stack, statements, first, last)
            last_text = " ".join(current)
            current = []
        if kind in ("{", "INDENT"):
            stack.append((last_text, []))
        elif kind in ("}", "DEDENT") and len(stack) > 1:
            header, texts = stack.pop()
            if len(texts) >= 2:
                blocks.append(f"{header}{{{'|'.join(sorted(texts))}}}")
    if current:
        _flush(current, stack, statements, first, last)
    return statements, blocks


def _flush(
    current: list[str],
    stack: list[tuple[str, list[str]]],
    statements: list[StatementPrint],
    first: int,
    last: int,
) -> None:
    text = " ".join(current)
    statements.append(StatementPrint(text, stack[-1][0], first, last))
    stack[-1][1].append(text)
