"""Structural fingerprints: what each statement does, whatever disguise was put on it.

The six classic disguise levels (Faidhi and Robinson) change comments and layout (1),
identifiers (2), where declarations stand (3), how methods are cut (4), statement order and
form (5) and the control logic (6). Token winnowing survives 1-2; this module normalises the
rest away before fingerprinting:

- identifiers the program declares become ``v`` (functions ``f``, classes ``C``); names it
  does not declare (``len``, ``Math.max``, ``System.out.println``) keep their spelling;
- types and bare declarations go (``int a; a = 5;`` is ``int a = 5;``), ``int a, b`` is split;
- ``x++``, ``x += 1`` and ``x = x + 1`` are one statement; ``a > b`` is ``b < a``; operands of
  commutative operators are sorted; ``!(a < b)`` is ``a >= b``; ``if (!c) A else B`` is
  ``if (c) B else A``; ``if (c) x = a; else x = b;`` is ``x = c ? a : b``; nested ``if``s
  without ``else`` are one ``&&`` test; a ``switch`` is its ``if``/``else if`` chain;
- every loop is one ``loop(test)``: ``for (init; test; update)`` and Python's
  ``for i in range(...)`` become ``init; loop(test) { body; update }``, like a ``while``, and
  ``while (true) { if (c) break; ... }`` is ``loop(!c)``;
- dead and redundant statements go: code after return/break/continue/throw, ``if (false)``,
  expression statements without effect, self-assignments, variables never read;
- small methods are inlined: a call to a non-recursive method whose body is one ``return``
  becomes that expression, a call statement to a short method without return its statements.

What remains is compared as multisets, so reordering changes nothing:

- ``statements``: each statement's normalised text (compound statements: their header);
- ``contexts``: each statement with the header of the block around it;
- ``blocks``: each block's header with the sorted multiset of its statements.

Languages without a grammar here fall back to Pygments tokens cut into statements at
``;``, braces and line ends (keywords, operators and punctuation as they are, names and
literals as classes), which keeps the multiset comparison but not the rewrites.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .syntax import Expr, StatementPrint, Stmt
from .syntax_python import python_parse
from .syntax_tokens import token_statements
from .syntax_treesitter import TREE_SITTER_LANGUAGES, treesitter_parse
from .tokens import language_normalize

FAMILIES = ("statements", "contexts", "blocks")

_SWAPPED = {">": "<", ">=": "<="}
_NEGATED = {
    "<": ">=",
    "<=": ">",
    ">": "<=",
    ">=": "<",
    "==": "!=",
    "!=": "==",
    "in": "notin",
    "notin": "in",
}
_COMMUTATIVE = {"+", "*", "==", "!=", "&&", "||", "&", "|", "^"}
_INLINE_MAX_STATEMENTS = 4
_MASK = 0xFFFFFFFFFFFFFFFF


@dataclass(frozen=True, slots=True)
class Structure:
    """A program's structural fingerprints, each family a multiset of 64-bit hashes.

    ``statements`` is in source order (the matching regions need it); in each family a hash
    occurring n times is stored as n distinct occurrence hashes, so a set intersection of two
    programs counts the multiset intersection.
    """

    statements: tuple[StatementPrint, ...]
    families: dict[str, np.ndarray]

    def statement_hashes(self) -> np.ndarray:
        """One hash per statement (text and context), in ``statements`` order."""
        return np.array(
            [feature_hash(f"{s.context}>{s.text}") for s in self.statements], dtype=np.uint64
        )


def feature_hash(text: str) -> int:
    """A 64-bit hash of ``text``, fixed within one process.

    Structural hashes are never stored: they are compared within one report (and with the
    other exams read for it), so Python's own string hash is enough, and it is several times
    faster than a cryptographic digest. Scores do not depend on its seed.
    """
    return hash(text) & _MASK


def occurrences(texts: list[str]) -> np.ndarray:
    """Hashes of ``texts`` with each repeat made distinct (``x#2`` for the second ``x``)."""
    seen: dict[str, int] = {}
    out = np.empty(len(texts), dtype=np.uint64)
    for position, text in enumerate(texts):
        count = seen.get(text, 0) + 1
        seen[text] = count
        out[position] = feature_hash(text if count == 1 else f"{text}#{count}")
    return out


def code_structure(code: str, language: str) -> Structure:
    """The structural fingerprints of ``code``. Never raises on malformed code."""
    name = language_normalize(language)
    code = code.replace("\r\n", "\n").replace("\r", "\n")
    try:
        statements, blocks = _normalised(code, name)
    except RecursionError:
        # Generated code nested thousands deep (a 5,000-term sum): the tree walk gives up,
        # the token statements do not recurse.
        statements, blocks = token_statements(code, name)
    families = {
        "statements": occurrences([s.text for s in statements]),
        "contexts": occurrences([f"{s.context}>{s.text}" for s in statements]),
        "blocks": occurrences(blocks),
    }
    return Structure(tuple(statements), families)


def _normalised(code: str, name: str) -> tuple[list[StatementPrint], list[str]]:
    tree: list[Stmt] | None = None
    if name == "python":
        tree = python_parse(code)
    elif name in TREE_SITTER_LANGUAGES:
        tree = treesitter_parse(code, name)
    if tree is None:
        return token_statements(code, name)
    normaliser = _Normaliser(tree)
    normaliser.emit(tree, "top")
    return normaliser.statements, normaliser.blocks


class _Normaliser:
    def __init__(self, tree: list[Stmt]) -> None:
        self.variables: set[str] = set()
        self.functions: dict[str, Stmt] = {}
        self.classes: set[str] = set()
        self.fields: set[str] = set()
        self.reads: dict[str, int] = {}
        self._declare(tree)
        self.inline_values: dict[str, Stmt] = {}
        self.inline_bodies: dict[str, Stmt] = {}
        for name, func in self.functions.items():
            body = [s for s in func.blocks[0] if not (s.kind == "jump" and s.name == "pass")]
            if _calls(func, name):
                continue  # recursive: inlining would not terminate
            if len(body) == 1 and body[0].kind == "return" and body[0].exprs:
                self.inline_values[name] = func
            elif 0 < len(body) <= _INLINE_MAX_STATEMENTS and all(
                s.kind in ("assign", "expr") for s in body
            ):
                self.inline_bodies[name] = func
        self.inlined: set[str] = set()
        self.statements: list[StatementPrint] = []
        self.blocks: list[str] = []

    # -- what the program declares and reads -------------------------------------------------

    def _declare(self, stmts: list[Stmt]) -> None:
        for stmt in stmts:
            if stmt.kind == "func":
                if stmt.name:
                    self.functions.setdefault(stmt.name, stmt)
                self.variables.update(stmt.params)
            elif stmt.kind == "class":
                self.classes.add(stmt.name)
            elif stmt.kind in ("assign", "foreach") and stmt.exprs:
                self._targets(stmt.exprs[0])
            for expr in stmt.exprs[1:] if stmt.kind == "assign" else stmt.exprs:
                self._read(expr)
            if stmt.kind == "assign" and stmt.exprs and stmt.exprs[0][0] != "id":
                self._read(stmt.exprs[0])
            for block in stmt.blocks:
                self._declare(block)

    def _targets(self, expr: Expr) -> None:
        if expr[0] == "id":
            self.variables.add(expr[1])
        elif expr[0] == "attr" and expr[1][0] == "id" and expr[1][1] in ("this", "self"):
            self.fields.add(expr[2])
        elif expr[0] == "seq":
            for item in expr[2]:
                self._targets(item)

    def _read(self, expr: Expr | None) -> None:
        if expr is None:
            return
        tag = expr[0]
        if tag == "id":
            self.reads[expr[1]] = self.reads.get(expr[1], 0) + 1
        elif tag in ("bin",):
            self._read(expr[2])
            self._read(expr[3])
        elif tag in ("un",):
            self._read(expr[2])
        elif tag == "call":
            self._read(expr[1])
            for arg in expr[2]:
                self._read(arg)
        elif tag == "attr":
            self._read(expr[1])
            self.reads[expr[2]] = self.reads.get(expr[2], 0) + 1
        elif tag in ("index", "assign"):
            self._read(expr[1])
            self._read(expr[2])
        elif tag == "cond":
            for part in expr[1:]:
                self._read(part)
        elif tag in ("seq", "new"):
            for item in expr[2]:
                self._read(item)

    # -- rendering expressions ---------------------------------------------------------------

    def render(self, expr: Expr | None, env: dict[str, str]) -> str:  # noqa: C901
        if expr is None:
            return "_"
        tag = expr[0]
        if tag == "id":
            name = expr[1]
            if name in env:
                return env[name]
            if name in self.variables:
                return "v"
            if name in self.functions:
                return "f"
            if name in self.classes:
                return "C"
            return "this" if name == "self" else name
        if tag == "lit":
            return expr[1]
        if tag == "bin":
            return self._binary(expr[1], expr[2], expr[3], env)
        if tag == "un":
            op, operand = expr[1], expr[2]
            if op in ("!", "not") and operand[0] == "bin" and operand[1] in _NEGATED:
                return self._binary(_NEGATED[operand[1]], operand[2], operand[3], env)
            if op in ("!", "not") and operand[0] == "un" and operand[1] in ("!", "not"):
                return self.render(operand[2], env)
            return f"{op}{self.render(operand, env)}"
        if tag == "call":
            callee = expr[1]
            args = [self.render(a, env) for a in expr[2]]
            name = _callee_name(callee)
            func = self.inline_values.get(name) if name else None
            if func is not None and len(func.params) == len(args) and name not in env:
                self.inlined.add(name)
                inner = {**env, **dict(zip(func.params, args, strict=True))}
                return self.render(func.blocks[0][-1].exprs[0], inner)
            return f"{self.render(callee, env)}({','.join(args)})"
        if tag == "attr":
            target = self.render(expr[1], env)
            name = expr[2]
            if target == "this":
                return self.render(("id", name), env)
            member = "v" if name in self.fields else "f" if name in self.functions else name
            return f"{target}.{member}"
        if tag == "index":
            return f"{self.render(expr[1], env)}[{self.render(expr[2], env)}]"
        if tag == "cond":
            test, then, other = expr[1], expr[2], expr[3]
            if test[0] == "un" and test[1] in ("!", "not"):
                test, then, other = test[2], other, then
            if then == ("lit", "T") and other == ("lit", "F"):
                return self.render(test, env)
            if then == ("lit", "F") and other == ("lit", "T"):
                return self.render(("un", "!", test), env)
            rendered = (self.render(test, env), self.render(then, env), self.render(other, env))
            return "?({},{},{})".format(*rendered)
        if tag == "assign":
            return f"{self.render(expr[1], env)}={self.render(expr[2], env)}"
        if tag == "new":
            type_name = "C" if expr[1] in self.classes else expr[1]
            return f"new {type_name}({','.join(self.render(a, env) for a in expr[2])})"
        if tag == "seq":
            return f"{expr[1]}[{','.join(self.render(i, env) for i in expr[2])}]"
        return "?"

    def _binary(self, op: str, left: Expr, right: Expr, env: dict[str, str]) -> str:
        if op in _SWAPPED:
            op, left, right = _SWAPPED[op], right, left
        a, b = self.render(left, env), self.render(right, env)
        if op in _COMMUTATIVE and b < a:
            a, b = b, a
        return f"({a}{op}{b})"

    # -- statements --------------------------------------------------------------------------

    def emit(self, stmts: list[Stmt], context: str, env: dict[str, str] | None = None) -> None:
        env = env or {}
        texts: list[str] = []
        for stmt in stmts:
            if self._statement(stmt, context, env, texts):
                break  # what follows a return, break, continue or throw never runs
        if len(texts) >= 2:
            self.blocks.append(f"{context}{{{'|'.join(sorted(texts))}}}")

    def _add(self, text: str, context: str, stmt: Stmt, texts: list[str]) -> None:
        # A compound statement's own print is its header; its body has prints of its own.
        end_line = stmt.line if stmt.blocks else stmt.end_line
        self.statements.append(StatementPrint(text, context, stmt.line, end_line))
        texts.append(text)

    def _statement(  # noqa: C901 - one case per statement kind
        self, stmt: Stmt, context: str, env: dict[str, str], texts: list[str]
    ) -> bool:
        """Emit one statement's prints; True when control cannot reach the next statement."""
        kind = stmt.kind
        if kind == "assign":
            target, value = stmt.exprs
            if value is None:
                return False
            unread = target[0] == "id" and not self.reads.get(target[1])
            if unread and target[1] not in env and not _has_effect(value):
                return False  # a variable nobody reads is padding
            left, right = self.render(target, env), self.render(value, env)
            if left != right:
                self._add(f"{left}={right}", context, stmt, texts)
        elif kind == "expr":
            expr = stmt.exprs[0]
            name = _callee_name(expr[1]) if expr[0] == "call" else None
            func = self.inline_bodies.get(name) if name else None
            if func is not None and len(func.params) == len(expr[2]):
                self.inlined.add(name)
                args = [self.render(a, env) for a in expr[2]]
                inner = {**env, **dict(zip(func.params, args, strict=True))}
                for inner_stmt in func.blocks[0]:
                    self._statement(inner_stmt, context, inner, texts)
            elif _has_effect(expr):
                self._add(self.render(expr, env), context, stmt, texts)
        elif kind == "return":
            value = self.render(stmt.exprs[0], env) if stmt.exprs else ""
            self._add(f"ret {value}", context, stmt, texts)
            return True
        elif kind == "jump":
            if stmt.name == "pass":
                return False
            value = self.render(stmt.exprs[0], env) if stmt.exprs else ""
            self._add(f"{stmt.name} {value}".strip(), context, stmt, texts)
            return True
        elif kind == "if":
            return self._if(stmt, context, env, texts)
        elif kind in ("loop", "for"):
            test = stmt.exprs[0]
            if kind == "for":
                init, update, body = stmt.blocks
                for part in init:
                    self._statement(part, context, env, texts)
                body = [*body, *update]
            else:
                body = stmt.blocks[0]
            if test is not None and test[0] == "lit" and test[1] == "F":
                return False
            if (test is None or test == ("lit", "T")) and body and _is_break_guard(body[0]):
                # while (true) { if (c) break; ... } is while (!c) { ... }.
                test, body = ("un", "!", body[0].exprs[0]), body[1:]
            header = f"loop({self.render(test, env) if test is not None else 'T'})"
            self._add(header, context, stmt, texts)
            self.emit(body, header, env)
        elif kind == "foreach":
            header = f"each({self.render(stmt.exprs[1], env)})"
            self._add(header, context, stmt, texts)
            self.emit(stmt.blocks[0], header, env)
        elif kind == "switch" and len(stmt.exprs) == 2:
            # switch (x) { case a: A; break; default: D; } is if (x == a) A else D.
            return self._if(_switch_as_ifs(stmt), context, env, texts)
        elif kind == "switch":
            header = f"switch({self.render(stmt.exprs[0], env)})"
            self._add(header, context, stmt, texts)
            for case in stmt.blocks:
                self.emit(case, header, env)
        elif kind == "block":
            for block in stmt.blocks:
                self.emit(block, context, env)
        elif kind == "func":
            inlinable = stmt.name in self.inline_values or stmt.name in self.inline_bodies
            if inlinable and (stmt.name in self.inlined or self._called(stmt.name)):
                return False  # represented where it is called
            header = f"def({len(stmt.params)})"
            self._add(header, context, stmt, texts)
            self.emit(stmt.blocks[0], header, env)
        elif kind == "class":
            self.emit(stmt.blocks[0], "class", env)
        elif kind == "other":
            parts = ",".join(self.render(e, env) for e in stmt.exprs)
            self._add(f"{stmt.name}({parts})", context, stmt, texts)
        return False

    def _if(self, stmt: Stmt, context: str, env: dict[str, str], texts: list[str]) -> bool:
        test = stmt.exprs[0]
        then, other = stmt.blocks
        if test[0] == "lit" and test[1] in ("T", "F"):
            chosen = then if test[1] == "T" else other
            ends = False
            for inner in chosen:
                if self._statement(inner, context, env, texts):
                    ends = True
                    break
            return ends
        if other and test[0] == "un" and test[1] in ("!", "not"):
            test, then, other = test[2], other, then
        while not other and len(then) == 1 and then[0].kind == "if" and not then[0].blocks[1]:
            # if (a) { if (b) S } is if (a && b) S.
            test, then = ("bin", "&&", test, then[0].exprs[0]), then[0].blocks[0]
        if len(then) == 1 and len(other) == 1:
            chosen = _as_conditional(test, then[0], other[0], stmt)
            if chosen is not None:
                # if (c) x = a; else x = b; is x = c ? a : b (and the same for returns).
                return self._statement(chosen, context, env, texts)
        header = f"if({self.render(test, env)})"
        self._add(header, context, stmt, texts)
        self.emit(then, header, env)
        if other:
            self.emit(other, f"else{header[2:]}", env)
        return False

    def _called(self, name: str) -> bool:
        return self.reads.get(name, 0) > 0


def _as_conditional(test: Expr, then: Stmt, other: Stmt, stmt: Stmt) -> Stmt | None:
    """``if``/``else`` with one assignment to one target (or one return) in each branch, as
    one statement with a conditional expression; None when the branches are anything else."""
    assigns = then.kind == other.kind == "assign" and then.exprs[0] == other.exprs[0]
    if assigns and then.exprs[1] is not None and other.exprs[1] is not None:
        value = ("cond", test, then.exprs[1], other.exprs[1])
        return Stmt("assign", stmt.line, stmt.end_line, (then.exprs[0], value))
    if then.kind == other.kind == "return" and then.exprs and other.exprs:
        value = ("cond", test, then.exprs[0], other.exprs[0])
        return Stmt("return", stmt.line, stmt.end_line, (value,))
    return None


def _switch_as_ifs(stmt: Stmt) -> Stmt:
    subject, labels = stmt.exprs
    chain: list[Stmt] = []
    default: list[Stmt] = []
    for case_labels, body in zip(labels, stmt.blocks, strict=True):
        if body and body[-1].kind == "jump" and body[-1].name == "break":
            body = body[:-1]
        if not case_labels:
            default = body
            continue
        test: Expr | None = None
        for label in case_labels:
            equal: Expr = ("bin", "==", subject, label)
            test = equal if test is None else ("bin", "||", test, equal)
        chain.append(Stmt("if", stmt.line, stmt.end_line, (test,), (body, [])))
    other = default
    for branch in reversed(chain):
        branch.blocks = (branch.blocks[0], other)
        other = [branch]
    if not chain:
        return Stmt("if", stmt.line, stmt.end_line, (("lit", "T"),), (default, []))
    return chain[0]


def _is_break_guard(stmt: Stmt) -> bool:
    then = stmt.blocks[0] if stmt.kind == "if" else []
    return (
        stmt.kind == "if"
        and not stmt.blocks[1]
        and len(then) == 1
        and then[0].kind == "jump"
        and then[0].name == "break"
    )


def _callee_name(callee: Expr) -> str | None:
    if callee[0] == "id":
        return callee[1]
    if callee[0] == "attr" and callee[1][0] == "id" and callee[1][1] in ("this", "self"):
        return callee[2]
    return None


def _has_effect(expr: Expr) -> bool:
    """Whether evaluating ``expr`` can change anything (a call, an assignment, a new object)."""
    tag = expr[0]
    if tag in ("call", "assign", "new", "seq"):
        return True
    if tag in ("id", "lit"):
        return False
    return any(_has_effect(part) for part in expr[1:] if isinstance(part, tuple) and part)


def _calls(func: Stmt, name: str) -> bool:
    needle = repr(name)
    return any(needle in repr(s.exprs) for s in _walk(func.blocks[0]))


def _walk(stmts: list[Stmt]) -> Iterator[Stmt]:
    for stmt in stmts:
        yield stmt
        for block in stmt.blocks:
            yield from _walk(block)
