"""A small syntax tree shared by every language, so one normaliser serves them all.

Parsers (``syntax_python`` for Python's ``ast``, ``syntax_treesitter`` for the tree-sitter
grammars and a token fallback) turn a program into :class:`Stmt` lists whose expressions are
plain tuples:

- ``("id", name)``, ``("lit", kind)`` with kind ``N`` (number), ``0``, ``1``, ``S`` (string),
  ``T``/``F`` (booleans), ``null``
- ``("bin", op, left, right)``, ``("un", op, operand)``, ``("cond", test, then, else)``
- ``("call", callee, args)``, ``("attr", obj, name)``, ``("index", obj, index)``
- ``("assign", target, value)`` (an assignment used as a value), ``("new", type, args)``
- ``("seq", tag, items)``: anything else, by its grammar's node type

Tuples keep parsing cheap: a report parses every submission of an exam.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Expr = tuple[Any, ...]

ONE: Expr = ("lit", "1")


@dataclass(slots=True)
class Stmt:
    """One statement. ``kind`` says which of ``exprs``/``blocks``/``name`` are used:

    - ``assign``: exprs ``(target, value)``, value ``None`` for a bare declaration
    - ``expr``: ``(expression,)``; ``return``: ``(value,)`` or ``()``
    - ``jump``: name ``break``/``continue``/``throw``/``pass``, exprs ``(value,)`` for throw
    - ``if``: exprs ``(test,)``, blocks ``(then, else)``
    - ``loop``: exprs ``(test or None,)``, blocks ``(body,)``
    - ``for``: exprs ``(test or None,)``, blocks ``(init, update, body)``
    - ``foreach``: exprs ``(target, iterable)``, blocks ``(body,)``
    - ``switch``: exprs ``(subject,)``, blocks one per case
    - ``block``: blocks ``(body, ...)`` (braces, try/catch/finally, with, synchronized)
    - ``func``: name, params, blocks ``(body,)``; ``class``: name, blocks ``(members,)``
    - ``other``: name is the grammar's node type, exprs whatever it contains
    """

    kind: str
    line: int
    end_line: int
    exprs: tuple[Any, ...] = ()
    blocks: tuple[list[Stmt], ...] = ()
    name: str = ""
    params: tuple[str, ...] = field(default_factory=tuple)


def increment(target: Expr, op: str, line: int, end_line: int) -> Stmt:
    """``x++``, ``++x``, ``x += 1`` and ``x = x + 1`` are one statement: ``x = x + 1``."""
    return Stmt("assign", line, end_line, (target, ("bin", op, target, ONE)))


@dataclass(frozen=True, slots=True)
class StatementPrint:
    """One normalised statement: its text, its enclosing block's header, and its lines."""

    text: str
    context: str
    line: int
    end_line: int
