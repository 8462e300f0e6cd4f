"""Python source -> the shared syntax tree (``syntax.Stmt``), with the standard ``ast``."""

from __future__ import annotations

import ast

from .syntax import Expr, Stmt

_BINOPS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "/",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
}
_CMPOPS: dict[type, str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Is: "==",
    ast.IsNot: "!=",
    ast.In: "in",
    ast.NotIn: "notin",
}


_REPAIRS = 20


def python_parse(code: str) -> list[Stmt] | None:
    """The module's statements, or ``None`` when the code does not parse even once repaired.

    Candidates submit unfinished code. A line that breaks the parse is re-indented like the
    line above it (a bad dedent) or, failing that, replaced by ``pass``, up to a few times, so
    a half-edited copy still compares in the same vocabulary as its original.
    """
    lines = code.split("\n")
    tried: set[tuple[int, str]] = set()
    for _ in range(_REPAIRS):
        try:
            return _block(ast.parse("\n".join(lines)).body)
        except (SyntaxError, ValueError, RecursionError) as exc:
            number = getattr(exc, "lineno", None)
            if not number or not 1 <= number <= len(lines):
                return None
            index = number - 1
            text = lines[index]
            above = next((x for x in reversed(lines[:index]) if x.strip()), "")
            indent = above[: len(above) - len(above.lstrip())]
            if isinstance(exc, IndentationError) and (index, "indent") not in tried:
                tried.add((index, "indent"))
                lines[index] = indent + text.lstrip()
            elif (index, "pass") not in tried:
                tried.add((index, "pass"))
                lines[index] = text[: len(text) - len(text.lstrip())] + "pass"
            else:
                return None
    return None


def _block(nodes: list[ast.stmt]) -> list[Stmt]:
    out: list[Stmt] = []
    for node in nodes:
        _stmt(node, out)
    return out


def _stmt(node: ast.stmt, out: list[Stmt]) -> None:  # noqa: C901 - one case per statement type
    line, end = node.lineno, node.end_lineno or node.lineno
    if isinstance(node, ast.Assign):
        value = _expr(node.value)
        for target in node.targets:
            pairs = (
                isinstance(target, ast.Tuple | ast.List)
                and isinstance(node.value, ast.Tuple | ast.List)
                and len(target.elts) == len(node.value.elts)
            )
            if pairs:
                # a, b = 1, 2 is two declarations merged: split them.
                for t, v in zip(target.elts, node.value.elts, strict=True):  # type: ignore[union-attr]
                    out.append(Stmt("assign", line, end, (_expr(t), _expr(v))))
                continue
            out.append(Stmt("assign", line, end, (_expr(target), value)))
    elif isinstance(node, ast.AnnAssign):
        value = _expr(node.value) if node.value is not None else None
        out.append(Stmt("assign", line, end, (_expr(node.target), value)))
    elif isinstance(node, ast.AugAssign):
        target = _expr(node.target)
        op = _BINOPS.get(type(node.op), "?")
        out.append(Stmt("assign", line, end, (target, ("bin", op, target, _expr(node.value)))))
    elif isinstance(node, ast.Expr):
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return  # a docstring is a comment
        out.append(Stmt("expr", line, end, (_expr(node.value),)))
    elif isinstance(node, ast.Return):
        out.append(Stmt("return", line, end, (_expr(node.value),) if node.value else ()))
    elif isinstance(node, ast.Break | ast.Continue | ast.Pass):
        out.append(Stmt("jump", line, end, name=type(node).__name__.lower()))
    elif isinstance(node, ast.Raise):
        value = (_expr(node.exc),) if node.exc else ()
        out.append(Stmt("jump", line, end, value, name="throw"))
    elif isinstance(node, ast.If):
        out.append(
            Stmt("if", line, end, (_expr(node.test),), (_block(node.body), _block(node.orelse)))
        )
    elif isinstance(node, ast.While):
        out.append(Stmt("loop", line, end, (_expr(node.test),), (_block(node.body),)))
        out.extend(_block(node.orelse))
    elif isinstance(node, ast.For | ast.AsyncFor):
        _for(node, line, end, out)
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        params = tuple(a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs)
        out.append(
            Stmt("func", line, end, blocks=(_block(node.body),), name=node.name, params=params)
        )
    elif isinstance(node, ast.ClassDef):
        out.append(Stmt("class", line, end, blocks=(_block(node.body),), name=node.name))
    elif isinstance(node, ast.With | ast.AsyncWith):
        for item in node.items:
            if item.optional_vars is not None:
                target = _expr(item.optional_vars)
                out.append(Stmt("assign", line, line, (target, _expr(item.context_expr))))
            else:
                out.append(Stmt("expr", line, line, (_expr(item.context_expr),)))
        out.append(Stmt("block", line, end, blocks=(_block(node.body),)))
    elif isinstance(node, ast.Try):
        blocks = [_block(node.body)] + [_block(h.body) for h in node.handlers]
        blocks += [_block(node.orelse), _block(node.finalbody)]
        out.append(Stmt("block", line, end, blocks=tuple(blocks)))
    elif isinstance(node, ast.Match):
        cases = tuple(_block(case.body) for case in node.cases)
        out.append(Stmt("switch", line, end, (_expr(node.subject),), cases))
    elif isinstance(node, ast.Import | ast.ImportFrom | ast.Global | ast.Nonlocal):
        return  # the imports say nothing about who wrote the rest
    elif isinstance(node, ast.Delete):
        out.extend(Stmt("expr", line, end, (("seq", "del", (_expr(t),)),)) for t in node.targets)
    elif isinstance(node, ast.Assert):
        out.append(Stmt("expr", line, end, (("seq", "assert", (_expr(node.test),)),)))
    else:
        out.append(Stmt("other", line, end, name=type(node).__name__))


def _for(node: ast.For | ast.AsyncFor, line: int, end: int, out: list[Stmt]) -> None:
    body = _block(node.body)
    call = node.iter
    if (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "range"
        and isinstance(node.target, ast.Name)
        and 1 <= len(call.args) <= 3
        and not call.keywords
    ):
        # for i in range(a, b, s) is the counting loop other languages write with for(;;) or
        # while: desugar it the same way, so rewriting one into the other changes nothing.
        args = [_expr(a) for a in call.args]
        start, stop = (("lit", "0"), args[0]) if len(args) == 1 else (args[0], args[1])
        step = args[2] if len(args) == 3 else ("lit", "1")
        counter: Expr = ("id", node.target.id)
        init = [Stmt("assign", line, line, (counter, start))]
        update = [Stmt("assign", line, line, (counter, ("bin", "+", counter, step)))]
        test = ("bin", "<", counter, stop)
        out.append(Stmt("for", line, end, (test,), (init, update, body)))
    else:
        out.append(Stmt("foreach", line, end, (_expr(node.target), _expr(node.iter)), (body,)))
    out.extend(_block(node.orelse))


def _expr(node: ast.expr | None) -> Expr:  # noqa: C901 - one case per expression type
    if node is None:
        return ("lit", "null")
    if isinstance(node, ast.Name):
        return ("id", node.id)
    if isinstance(node, ast.Constant):
        return ("lit", _literal(node.value))
    if isinstance(node, ast.BinOp):
        return ("bin", _BINOPS.get(type(node.op), "?"), _expr(node.left), _expr(node.right))
    if isinstance(node, ast.BoolOp):
        op = "&&" if isinstance(node.op, ast.And) else "||"
        result = _expr(node.values[0])
        for value in node.values[1:]:
            result = ("bin", op, result, _expr(value))
        return result
    if isinstance(node, ast.Compare):
        left = _expr(node.left)
        result: Expr | None = None
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _expr(comparator)
            part = ("bin", _CMPOPS.get(type(op), "?"), left, right)
            result = part if result is None else ("bin", "&&", result, part)
            left = right
        return result if result is not None else left
    if isinstance(node, ast.UnaryOp):
        op = {ast.Not: "!", ast.USub: "-", ast.UAdd: "+", ast.Invert: "~"}[type(node.op)]
        return ("un", op, _expr(node.operand))
    if isinstance(node, ast.Call):
        args = tuple(_expr(a) for a in node.args) + tuple(_expr(k.value) for k in node.keywords)
        return ("call", _expr(node.func), args)
    if isinstance(node, ast.Attribute):
        return ("attr", _expr(node.value), node.attr)
    if isinstance(node, ast.Subscript):
        return ("index", _expr(node.value), _expr(node.slice))
    if isinstance(node, ast.IfExp):
        return ("cond", _expr(node.test), _expr(node.body), _expr(node.orelse))
    if isinstance(node, ast.NamedExpr):
        return ("assign", _expr(node.target), _expr(node.value))
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return ("seq", "array", tuple(_expr(e) for e in node.elts))
    if isinstance(node, ast.Dict):
        items = tuple(_expr(v) for v in node.values)
        return ("seq", "dict", tuple(_expr(k) for k in node.keys if k is not None) + items)
    if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
        parts = [_expr(g.iter) for g in node.generators]
        parts += [_expr(c) for g in node.generators for c in g.ifs]
        element = node.key if isinstance(node, ast.DictComp) else node.elt
        return ("seq", "comp", (_expr(element), *parts))
    if isinstance(node, ast.Slice):
        return ("seq", "slice", tuple(_expr(p) for p in (node.lower, node.upper, node.step) if p))
    if isinstance(node, ast.JoinedStr):
        return ("lit", "S")
    if isinstance(node, ast.Starred):
        return _expr(node.value)
    if isinstance(node, ast.Lambda):
        return ("seq", "lambda", (_expr(node.body),))
    return ("seq", type(node).__name__, ())


def _literal(value: object) -> str:
    if value is True:
        return "T"
    if value is False:
        return "F"
    if value is None:
        return "null"
    if isinstance(value, str | bytes):
        return "S"
    if value in (0, 1):
        return str(int(value))  # type: ignore[call-overload]
    return "N"
