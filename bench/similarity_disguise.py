"""Disguise programs mechanically, one classic plagiarism level at a time (Faidhi and Robinson).

Levels, each applied on top of a random 70 % of the lower ones (as real copiers mix them):

1. layout: comments added and removed, indentation, blank lines, brace placement;
2. identifiers: every name the program declares renamed;
3. declarations: methods and fields of a class (functions of a module) reordered;
4. method structure: one-``return`` helpers inlined at their calls, a run of statements
   extracted into a new method, declarations split (``int a = 1, b;`` and ``int a; a = 1;``)
   or merged;
5. statements: independent neighbouring statements swapped, ``i++`` / ``i += 1`` /
   ``i = i + 1`` exchanged, comparisons mirrored (``a > b`` as ``b < a``), commutative operands
   swapped, ``x = c ? a : b`` written as ``if``/``else``;
6. control logic: ``for`` rewritten as ``while`` (or as ``while (true)`` with a ``break``),
   nested ``if``s merged with ``&&``, ``if``/``else`` branches swapped under a negated test,
   redundant statements added (unused variables, ``x = x + 0``, ``x = x * 1``).

Java is rewritten through its tree-sitter tree (edits on byte ranges, re-parsed after each
step); Python through ``ast`` (and ``ast.unparse``). Usage from the quality benchmark:
``disguise(code, language, level, rng)``. Run alone to print one example of each level:
``.venv/bin/python bench/similarity_disguise.py FILE``.
"""

from __future__ import annotations

import ast
import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

import tree_sitter
import tree_sitter_java

LEVELS = (1, 2, 3, 4, 5, 6)
_LOWER_SHARE = 0.7
_JAVA = tree_sitter.Parser(tree_sitter.Language(tree_sitter_java.language()))
_NAMES = [
    "value",
    "item",
    "result",
    "temp",
    "data",
    "acc",
    "counter",
    "index",
    "buffer",
    "current",
    "element",
    "holder",
    "amount",
    "entry",
    "node",
    "piece",
    "store",
    "track",
    "token",
    "unit",
]
_COMMENTS = [
    "// check this",
    "// main part",
    "// loop over input",
    "// compute",
    "// helper",
    "// TODO tidy",
    "// result here",
    "// update state",
]


def disguise(code: str, language: str, level: int, rng: random.Random) -> str:
    """A copy of ``code`` disguised at ``level`` (1-6), plus a random half of lower levels."""
    steps = _JAVA_STEPS if language == "java" else _PYTHON_STEPS
    chosen = [level] + [lower for lower in range(1, level) if rng.random() < _LOWER_SHARE]
    for step in sorted(chosen, reverse=True):
        code = steps[step](code, rng)
    return code


# ---------------------------------------------------------------------------------- Java ------


def _java_tree(code: str) -> tree_sitter.Node:
    return _JAVA.parse(code.encode("utf-8")).root_node


def _edit(code: str, edits: list[tuple[int, int, str]]) -> str:
    """Apply byte-range replacements that do not overlap (later ones first)."""
    data = code.encode("utf-8")
    taken: list[tuple[int, int]] = []
    for start, end, text in sorted(edits, key=lambda e: -e[0]):
        if any(start < b and a < end for a, b in taken):
            continue
        data = data[:start] + text.encode("utf-8") + data[end:]
        taken.append((start, end))
    return data.decode("utf-8")


def _walk(node: tree_sitter.Node):
    yield node
    for child in node.children:
        yield from _walk(child)


def _t(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8")


def _java_layout(code: str, rng: random.Random) -> str:
    code = re.sub(r"//[^\n]*", "", code)
    unit = rng.choice(["  ", "\t", "   ", "        "])
    out: list[str] = []
    for line in code.split("\n"):
        stripped = line.lstrip(" ")
        depth = (len(line) - len(stripped)) // 4
        if not stripped.strip():
            continue
        if rng.random() < 0.15:
            out.append(unit * depth + rng.choice(_COMMENTS))
        if stripped.endswith(") {") and rng.random() < 0.5:
            out.append(unit * depth + stripped[:-2].rstrip())
            out.append(unit * depth + "{")
        else:
            out.append(unit * depth + stripped)
        if rng.random() < 0.2:
            out.append("")
    return "\n".join(out) + "\n"


def _java_declared(root: tree_sitter.Node) -> set[str]:
    names: set[str] = set()
    for node in _walk(root):
        if node.type in (
            "variable_declarator",
            "formal_parameter",
            "method_declaration",
            "class_declaration",
            "enhanced_for_statement",
            "catch_formal_parameter",
        ):
            name = node.child_by_field_name("name")
            if name is not None and _t(name) != "main":
                names.add(_t(name))
    return names


def _java_rename(code: str, rng: random.Random) -> str:
    root = _java_tree(code)
    declared = sorted(_java_declared(root))
    pool = _NAMES[:]
    rng.shuffle(pool)
    mapping = {}
    for position, name in enumerate(declared):
        new = pool[position % len(pool)] + (
            str(position // len(pool)) if position >= len(pool) else ""
        )
        mapping[name] = new[0].upper() + new[1:] if name[:1].isupper() else new
    edits = [
        (n.start_byte, n.end_byte, mapping[_t(n)])
        for n in _walk(root)
        if n.type in ("identifier", "type_identifier") and _t(n) in mapping
    ]
    return _edit(code, edits)


def _java_reorder(code: str, rng: random.Random) -> str:
    root = _java_tree(code)
    edits = []
    for body in (n for n in _walk(root) if n.type == "class_body"):
        members = [
            c
            for c in body.named_children
            if c.type in ("method_declaration", "field_declaration", "constructor_declaration")
        ]
        if len(members) < 2:
            continue
        texts = [_t(m) for m in members]
        shuffled = texts[:]
        while len(set(texts)) > 1 and shuffled == texts:
            rng.shuffle(shuffled)
        edits += [(m.start_byte, m.end_byte, t) for m, t in zip(members, shuffled, strict=True)]
    return _edit(code, edits)


def _java_methods(code: str, rng: random.Random) -> str:
    """Inline one-return helpers at their calls; split or merge declarations."""
    root = _java_tree(code)
    helpers = {}
    for node in _walk(root):
        if node.type != "method_declaration":
            continue
        body = node.child_by_field_name("body")
        statements = body.named_children if body is not None else []
        params = node.child_by_field_name("parameters")
        names = (
            [
                _t(p.child_by_field_name("name"))
                for p in params.named_children
                if p.type == "formal_parameter"
            ]
            if params is not None
            else []
        )
        if (
            len(statements) == 1
            and statements[0].type == "return_statement"
            and statements[0].named_children
        ):
            expression = statements[0].named_children[0]
            name = _t(node.child_by_field_name("name"))
            if name not in _t(expression):
                helpers[name] = (node, names, expression)
    edits = []
    inlined = set()
    for node in _walk(root):
        if node.type != "method_invocation" or node.child_by_field_name("object") is not None:
            continue
        name = _t(node.child_by_field_name("name"))
        if name not in helpers:
            continue
        _, params, expression = helpers[name]
        args = [_t(a) for a in node.child_by_field_name("arguments").named_children]
        if len(args) != len(params):
            continue
        replacements = []
        for ident in _walk(expression):
            if ident.type == "identifier" and _t(ident) in params:
                value = args[params.index(_t(ident))]
                replacements.append(
                    (
                        ident.start_byte - expression.start_byte,
                        ident.end_byte - expression.start_byte,
                        f"({value})",
                    )
                )
        inlined_text = _edit(_t(expression), replacements)
        edits.append((node.start_byte, node.end_byte, f"({inlined_text})"))
        inlined.add(name)
    for name in inlined:
        declaration = helpers[name][0]
        edits.append((declaration.start_byte, declaration.end_byte, ""))
    code = _edit(code, edits) if edits else code
    return _java_declarations(_java_extract(code, rng), rng)


def _java_extract(code: str, rng: random.Random) -> str:
    """Move two or three statements of the longest method into a new method."""
    root = _java_tree(code)
    methods = [n for n in _walk(root) if n.type == "method_declaration"]
    if not methods:
        return code
    method = max(methods, key=lambda m: m.end_byte - m.start_byte)
    body = method.child_by_field_name("body")
    statements = [c for c in body.named_children if "comment" not in c.type]
    if len(statements) < 4:
        return code
    size = rng.choice([2, 3])
    if len(statements) < size + 2:
        return code
    start = rng.randrange(1, len(statements) - size)
    chosen = statements[start : start + size]
    if any(c.type in ("local_variable_declaration", "return_statement") for c in chosen):
        return code
    text = "\n        ".join(_t(c) for c in chosen)
    helper = f"\n\n    static void step{rng.randint(1, 99)}() {{\n        {text}\n    }}\n"
    name = helper.split("void ")[1].split("(")[0]
    edits = [
        (chosen[0].start_byte, chosen[-1].end_byte, f"{name}();"),
        (method.end_byte, method.end_byte, helper),
    ]
    return _edit(code, edits)


def _java_declarations(code: str, rng: random.Random) -> str:
    root = _java_tree(code)
    edits = []
    for node in _walk(root):
        if node.type != "local_variable_declaration" or node.parent is None:
            continue
        if node.parent.type != "block":
            continue
        type_text = _t(node.child_by_field_name("type"))
        declarators = [c for c in node.named_children if c.type == "variable_declarator"]
        indent = " " * node.start_point[1]
        if len(declarators) > 1:
            parts = [f"{type_text} {_t(d)};" for d in declarators]
            edits.append((node.start_byte, node.end_byte, f"\n{indent}".join(parts)))
        elif rng.random() < 0.6:
            declarator = declarators[0]
            value = declarator.child_by_field_name("value")
            if value is not None and "[]" not in type_text:
                name = _t(declarator.child_by_field_name("name"))
                text = f"{type_text} {name};\n{indent}{name} = {_t(value)};"
                edits.append((node.start_byte, node.end_byte, text))
    return _edit(code, edits)


def _independent(a: tree_sitter.Node, b: tree_sitter.Node) -> bool:
    def names(node: tree_sitter.Node) -> set[str]:
        return {_t(n) for n in _walk(node) if n.type == "identifier"}

    def written(node: tree_sitter.Node) -> set[str]:
        out = set()
        for n in _walk(node):
            if n.type == "variable_declarator":
                out.add(_t(n.child_by_field_name("name")))
            elif n.type in ("assignment_expression", "update_expression"):
                target = n.child_by_field_name("left") or n.named_children[0]
                out |= names(target)
        return out

    text = _t(a) + _t(b)
    if "print" in text or "return" in text or "next" in text or "read" in text:
        return False
    return not (written(a) & names(b)) and not (written(b) & names(a))


def _java_statements(code: str, rng: random.Random) -> str:
    root = _java_tree(code)
    edits = []
    for block in (n for n in _walk(root) if n.type == "block"):
        children = block.named_children
        for first, second in zip(children, children[1:], strict=False):
            simple = ("local_variable_declaration", "expression_statement")
            if first.type in simple and second.type in simple and _independent(first, second):
                edits += [
                    (first.start_byte, first.end_byte, _t(second)),
                    (second.start_byte, second.end_byte, _t(first)),
                ]
                break
    code = _edit(code, edits)
    root = _java_tree(code)
    edits = []
    for node in _walk(root):
        if node.type == "update_expression" and node.parent is not None:
            operand = _t(node.named_children[0])
            op = "+" if "++" in _t(node) else "-"
            if node.parent.type in ("expression_statement", "for_statement"):
                form = rng.choice([f"{operand} {op}= 1", f"{operand} = {operand} {op} 1"])
                edits.append((node.start_byte, node.end_byte, form))
        elif node.type == "binary_expression":
            op = _t(node.child_by_field_name("operator"))
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            mirrored = {
                ">": "<",
                "<": ">",
                ">=": "<=",
                "<=": ">=",
                "==": "==",
                "!=": "!=",
                "*": "*",
                "&&": "&&",
                "||": "||",
            }
            if op in mirrored and rng.random() < 0.7:
                edits.append(
                    (node.start_byte, node.end_byte, f"{_t(right)} {mirrored[op]} {_t(left)}")
                )
    return _java_ternaries(_edit(code, edits))


def _java_ternaries(code: str) -> str:
    root = _java_tree(code)
    edits = []
    for node in _walk(root):
        if node.type != "expression_statement" or not node.named_children:
            continue
        assignment = node.named_children[0]
        if assignment.type != "assignment_expression":
            continue
        value = assignment.child_by_field_name("right")
        if value is None or value.type != "ternary_expression":
            continue
        target = _t(assignment.child_by_field_name("left"))
        parts = [
            _t(value.child_by_field_name(f)) for f in ("condition", "consequence", "alternative")
        ]
        text = f"if ({parts[0]}) {{ {target} = {parts[1]}; }} else {{ {target} = {parts[2]}; }}"
        edits.append((node.start_byte, node.end_byte, text))
    return _edit(code, edits)


def _java_control(code: str, rng: random.Random) -> str:
    root = _java_tree(code)
    edits = []
    for node in _walk(root):
        if node.type == "for_statement" and "continue" not in _t(node):
            init = node.child_by_field_name("init")
            condition = node.child_by_field_name("condition")
            updates = node.children_by_field_name("update")
            body = node.child_by_field_name("body")
            if init is None or condition is None or body is None:
                continue
            indent = " " * node.start_point[1]
            init_text = _t(init) if init.type == "local_variable_declaration" else _t(init) + ";"
            body_text = _t(body)
            inner = (
                body_text[1:-1].rstrip()
                if body.type == "block"
                else "\n" + indent + "    " + body_text
            )
            update_text = "".join(f"\n{indent}    {_t(u)};" for u in updates)
            text = (
                f"{init_text}\n{indent}while ({_t(condition)}) {{{inner}{update_text}\n{indent}}}"
            )
            edits.append(
                (
                    node.start_byte,
                    node.end_byte,
                    "{\n" + indent + text + "\n" + indent + "}" if rng.random() < 0.0 else text,
                )
            )
        elif node.type == "if_statement" and _nested_if(node) is not None:
            inner = _nested_if(node)
            outer_test = _t(node.child_by_field_name("condition"))
            inner_test = _t(inner.child_by_field_name("condition"))
            body = _t(inner.child_by_field_name("consequence"))
            edits.append(
                (node.start_byte, node.end_byte, f"if ({outer_test} && {inner_test}) {body}")
            )
        elif node.type == "if_statement":
            alternative = node.child_by_field_name("alternative")
            consequence = node.child_by_field_name("consequence")
            if alternative is None or consequence is None or rng.random() < 0.4:
                continue
            if alternative.type == "if_statement" or any(
                c.type == "if_statement" for c in alternative.named_children
            ):
                continue
            condition = node.child_by_field_name("condition")
            text = f"if (!{_t(condition)}) {_t(alternative)} else {_t(consequence)}"
            edits.append((node.start_byte, node.end_byte, text))
    code = _edit(code, edits)
    return _java_padding(code, rng)


def _nested_if(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The inner ``if`` of ``if (a) { if (b) S }`` (neither with an else), or None."""
    if node.child_by_field_name("alternative") is not None:
        return None
    consequence = node.child_by_field_name("consequence")
    inner = consequence
    if consequence is not None and consequence.type == "block":
        children = consequence.named_children
        inner = children[0] if len(children) == 1 else None
    if inner is None or inner.type != "if_statement":
        return None
    return inner if inner.child_by_field_name("alternative") is None else None


def _java_padding(code: str, rng: random.Random) -> str:
    root = _java_tree(code)
    edits = []
    count = 0
    for block in (n for n in _walk(root) if n.type == "block"):
        if not block.named_children or rng.random() < 0.4:
            continue
        anchor = block.named_children[0]
        indent = " " * anchor.start_point[1]
        count += 1
        padding = rng.choice(
            [
                f"int unused{count} = {rng.randint(0, 9)};",
                f"boolean flag{count} = false;",
                f'String note{count} = "";',
                f"long spare{count} = {rng.randint(1, 99)}L * 2;",
            ]
        )
        edits.append((anchor.start_byte, anchor.start_byte, f"{padding}\n{indent}"))
    return _edit(code, edits)


# -------------------------------------------------------------------------------- Python ------


def _py_layout(code: str, rng: random.Random) -> str:
    unit = rng.choice(["  ", "   ", "\t"])
    out: list[str] = []
    for line in code.split("\n"):
        stripped = line.lstrip(" ")
        if not stripped.strip() or stripped.startswith("#"):
            continue
        depth = (len(line) - len(stripped)) // 4
        if rng.random() < 0.15:
            out.append(unit * depth + rng.choice(_COMMENTS).replace("//", "#"))
        out.append(unit * depth + stripped)
        if rng.random() < 0.2:
            out.append("")
    return "\n".join(out) + "\n"


class _Renamer(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.Name:
        node.id = self.mapping.get(node.id, node.id)
        return node

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.arg = self.mapping.get(node.arg, node.arg)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        if not node.name.startswith("__"):
            node.name = self.mapping.get(node.name, node.name)
        self.generic_visit(node)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.Attribute:
        self.generic_visit(node)
        if isinstance(node.value, ast.Name) and node.value.id == "self":
            node.attr = self.mapping.get(node.attr, node.attr)
        return node


def _py_rename(code: str, rng: random.Random) -> str:
    tree = ast.parse(code)
    declared: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            declared.add(node.id)
        elif isinstance(node, ast.arg) and node.arg != "self":
            declared.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("__"):
            declared.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            declared.add(node.attr)
    pool = _NAMES[:]
    rng.shuffle(pool)
    mapping = {
        n: f"{pool[i % len(pool)]}{i // len(pool) or ''}" for i, n in enumerate(sorted(declared))
    }
    return ast.unparse(_Renamer(mapping).visit(tree))


def _py_reorder(code: str, rng: random.Random) -> str:
    tree = ast.parse(code)
    defs = [i for i, n in enumerate(tree.body) if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    nodes = [tree.body[i] for i in defs]
    rng.shuffle(nodes)
    for i, node in zip(defs, nodes, strict=True):
        tree.body[i] = node
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            methods = [
                m for m in node.body if isinstance(m, ast.FunctionDef) and m.name != "__init__"
            ]
            rng.shuffle(methods)
            others = [m for m in node.body if m not in methods]
            node.body = others + methods
    return ast.unparse(tree)


class _Inliner(ast.NodeTransformer):
    def __init__(self, helpers: dict[str, ast.FunctionDef]) -> None:
        self.helpers = helpers
        self.used: set[str] = set()

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in self.helpers and not node.keywords:
            helper = self.helpers[node.func.id]
            params = [a.arg for a in helper.args.args]
            if len(params) == len(node.args):
                expression = ast.parse(ast.unparse(helper.body[0].value), mode="eval").body
                values = dict(zip(params, node.args, strict=True))

                class _Sub(ast.NodeTransformer):
                    def visit_Name(self, name: ast.Name) -> ast.AST:
                        return values.get(name.id, name)

                self.used.add(node.func.id)
                return _Sub().visit(expression)
        return node


def _py_methods(code: str, rng: random.Random) -> str:
    tree = ast.parse(code)
    helpers = {
        n.name: n
        for n in tree.body
        if isinstance(n, ast.FunctionDef)
        and len(n.body) == 1
        and isinstance(n.body[0], ast.Return)
        and n.body[0].value is not None
        and n.name not in ast.unparse(n.body[0])
    }
    inliner = _Inliner(helpers)
    tree = inliner.visit(tree)
    tree.body = [
        n for n in tree.body if not (isinstance(n, ast.FunctionDef) and n.name in inliner.used)
    ]
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        new_body = []
        for stmt in body:
            simple = isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
            if (
                simple
                and isinstance(stmt.targets[0], ast.Tuple)
                and isinstance(stmt.value, ast.Tuple)
                and len(stmt.targets[0].elts) == len(stmt.value.elts)
            ):
                new_body += [
                    ast.Assign([t], v, lineno=0)
                    for t, v in zip(stmt.targets[0].elts, stmt.value.elts, strict=True)
                ]
                continue
            previous = new_body[-1] if new_body else None
            mergeable = (
                simple
                and isinstance(stmt.targets[0], ast.Name)
                and isinstance(previous, ast.Assign)
                and len(previous.targets) == 1
                and isinstance(previous.targets[0], ast.Name)
                and previous.targets[0].id not in ast.unparse(stmt.value)
                and rng.random() < 0.5
            )
            if mergeable:
                new_body[-1] = ast.Assign(
                    [ast.Tuple([previous.targets[0], stmt.targets[0]], ast.Store())],
                    ast.Tuple([previous.value, stmt.value], ast.Load()),
                    lineno=0,
                )
                continue
            new_body.append(stmt)
        node.body = new_body
    return ast.unparse(ast.fix_missing_locations(tree))


class _Mirror(ast.NodeTransformer):
    _FLIP = {
        ast.Lt: ast.Gt,
        ast.Gt: ast.Lt,
        ast.LtE: ast.GtE,
        ast.GtE: ast.LtE,
        ast.Eq: ast.Eq,
        ast.NotEq: ast.NotEq,
    }

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if len(node.ops) == 1 and type(node.ops[0]) in self._FLIP and self.rng.random() < 0.7:
            return ast.Compare(node.comparators[0], [self._FLIP[type(node.ops[0])]()], [node.left])
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Mult) and self.rng.random() < 0.7:
            return ast.BinOp(node.right, node.op, node.left)
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.target, ast.Name) and self.rng.random() < 0.6:
            load = ast.Name(node.target.id, ast.Load())
            return ast.Assign([node.target], ast.BinOp(load, node.op, node.value), lineno=0)
        return node


def _py_names(node: ast.AST) -> tuple[set[str], set[str]]:
    written, read = set(), set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            (written if isinstance(n.ctx, ast.Store) else read).add(n.id)
    return written, read


def _py_statements(code: str, rng: random.Random) -> str:
    tree = ast.parse(code)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for i in range(len(body) - 1):
            a, b = body[i], body[i + 1]
            if not all(isinstance(s, ast.Assign | ast.AugAssign) for s in (a, b)):
                continue
            wa, ra = _py_names(a)
            wb, rb = _py_names(b)
            if (
                not (wa & (rb | wb))
                and not (wb & ra)
                and "(" not in ast.unparse(a) + ast.unparse(b)
            ):
                body[i], body[i + 1] = b, a
                break
    tree = _Mirror(rng).visit(tree)
    return ast.unparse(ast.fix_missing_locations(tree))


class _Control(ast.NodeTransformer):
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0

    def _body(self, body: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in body:
            stmt = self.visit(stmt)
            if isinstance(stmt, list):
                out.extend(stmt)
            else:
                out.append(stmt)
        if out and self.rng.random() < 0.5:
            self.count += 1
            padding = ast.parse(
                self.rng.choice(
                    [
                        f"unused{self.count} = {self.rng.randint(0, 9)}",
                        f"flag{self.count} = False",
                        f"note{self.count} = ''",
                    ]
                )
            ).body[0]
            out.insert(self.rng.randrange(len(out)), padding)
        return out

    def generic_visit(self, node: ast.AST) -> ast.AST:
        for field in ("body", "orelse"):
            value = getattr(node, field, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                setattr(node, field, self._body(value))
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.stmt):
                super().generic_visit(child)
        return node

    def visit_For(self, node: ast.For) -> ast.AST | list[ast.stmt]:
        self.generic_visit(node)
        call = node.iter
        counting = (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "range"
            and isinstance(node.target, ast.Name)
            and 1 <= len(call.args) <= 2
            and not node.orelse
            and not any(isinstance(n, ast.Continue) for n in ast.walk(node))
        )
        if not counting:
            return node
        name = node.target.id
        start = ast.unparse(call.args[0]) if len(call.args) == 2 else "0"
        stop = ast.unparse(call.args[-1])
        loop = ast.parse(f"{name} = {start}\nwhile {name} < {stop}:\n    pass\n").body
        loop[1].body = node.body + [ast.parse(f"{name} += 1").body[0]]
        return loop

    def visit_If(self, node: ast.If) -> ast.AST:
        self.generic_visit(node)
        if (
            node.orelse
            and not (len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If))
            and self.rng.random() < 0.6
        ):
            return ast.If(ast.UnaryOp(ast.Not(), node.test), node.orelse, node.body)
        return node


def _py_control(code: str, rng: random.Random) -> str:
    tree = ast.parse(code)
    tree.body = _Control(rng)._body(tree.body)
    return ast.unparse(ast.fix_missing_locations(tree))


_Step = Callable[[str, random.Random], str]
_JAVA_STEPS: dict[int, _Step] = {
    1: _java_layout,
    2: _java_rename,
    3: _java_reorder,
    4: _java_methods,
    5: _java_statements,
    6: _java_control,
}
_PYTHON_STEPS: dict[int, _Step] = {
    1: _py_layout,
    2: _py_rename,
    3: _py_reorder,
    4: _py_methods,
    5: _py_statements,
    6: _py_control,
}


if __name__ == "__main__":
    source = Path(sys.argv[1])
    language = "java" if source.suffix == ".java" else "python"
    for level in LEVELS:
        print(f"===== level {level}")
        print(disguise(source.read_text(), language, level, random.Random(level)))
