"""Java, C, C++ and JavaScript source -> the shared syntax tree, with tree-sitter grammars.

The grammars come from PyPI wheels (``tree-sitter-java`` and friends, compiled, no download at
run time). Their node types differ a little per language; the tables below fold them into the
few statement and expression kinds of ``syntax``. Unknown nodes become ``other``/``seq`` with
their children, so an unusual construct still compares by its shape.
"""

from __future__ import annotations

from functools import cache

import tree_sitter
import tree_sitter_c
import tree_sitter_cpp
import tree_sitter_java
import tree_sitter_javascript

from .syntax import Expr, Stmt, increment

_GRAMMARS = {
    "java": tree_sitter_java,
    "c": tree_sitter_c,
    "cpp": tree_sitter_cpp,
    "javascript": tree_sitter_javascript,
}
TREE_SITTER_LANGUAGES = frozenset(_GRAMMARS)

Node = tree_sitter.Node

_BLOCKS = {
    "block",
    "compound_statement",
    "statement_block",
    "class_body",
    "declaration_list",
    "field_declaration_list",
    "constructor_body",
    "program",
    "translation_unit",
    "switch_block_statement_group",
    "switch_rule",
    "case_statement",
    "switch_case",
    "switch_default",
    "interface_body",
    "enum_body",
    "static_initializer",
    "template_declaration",
    "linkage_specification",
    "namespace_definition",
}
_DECLARATIONS = {
    "local_variable_declaration",
    "field_declaration",
    "declaration",
    "lexical_declaration",
    "variable_declaration",
    "constant_declaration",
}
_CLASSES = {
    "class_declaration",
    "interface_declaration",
    "enum_declaration",
    "class_specifier",
    "struct_specifier",
    "record_declaration",
    "class",
    "class_expression",
}
_FUNCTIONS = {
    "method_declaration",
    "constructor_declaration",
    "function_definition",
    "function_declaration",
    "method_definition",
    "generator_function_declaration",
}
_SKIPPED = {
    "import_declaration",
    "package_declaration",
    "preproc_include",
    "preproc_def",
    "comment",
    "line_comment",
    "block_comment",
    "import_statement",
    "using_declaration",
    ";",
    "{",
    "}",
    "empty_statement",
    "preproc_call",
    "modifiers",
    "marker_annotation",
    "annotation",
}
_LOOPS = {"while_statement", "do_statement"}
_FOREACH = {"enhanced_for_statement", "for_in_statement", "for_range_loop"}
_JUMPS = {
    "break_statement": "break",
    "continue_statement": "continue",
    "throw_statement": "throw",
    "throw_expression": "throw",
}
_LITERALS = {
    "string_literal": "S",
    "character_literal": "S",
    "string": "S",
    "template_string": "S",
    "char_literal": "S",
    "concatenated_string": "S",
    "text_block": "S",
    "true": "T",
    "false": "F",
    "null_literal": "null",
    "null": "null",
    "nullptr": "null",
    "undefined": "null",
}
_NUMBERS = {
    "decimal_integer_literal",
    "hex_integer_literal",
    "octal_integer_literal",
    "binary_integer_literal",
    "decimal_floating_point_literal",
    "number_literal",
    "number",
    "hex_floating_point_literal",
}
_IDENTIFIERS = {
    "identifier",
    "field_identifier",
    "property_identifier",
    "type_identifier",
    "shorthand_property_identifier",
    "namespace_identifier",
    "this",
    "super",
    "scoped_identifier",
    "qualified_identifier",
}
_TRANSPARENT = {
    "parenthesized_expression",
    "cast_expression",
    "expression_statement",
    "condition_clause",
    "labeled_statement",
    "init_declarator",
}


@cache
def _parser(language: str) -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(_GRAMMARS[language].language()))


def treesitter_parse(code: str, language: str) -> list[Stmt]:
    """The program's statements. tree-sitter recovers from errors, so this never fails."""
    tree = _parser(language).parse(code.encode("utf-8"))
    return _block(tree.root_node)


def _text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text is not None else ""


def _line(node: Node) -> tuple[int, int]:
    return node.start_point[0] + 1, node.end_point[0] + 1


def _block(node: Node | None) -> list[Stmt]:
    if node is None:
        return []
    if node.type not in _BLOCKS:
        out: list[Stmt] = []
        _stmt(node, out)
        return out
    out = []
    for child in node.named_children:
        _stmt(child, out)
    return out


def _stmt(node: Node, out: list[Stmt]) -> None:  # noqa: C901 - one case per statement type
    kind = node.type
    line, end = _line(node)
    if kind in _SKIPPED or kind.startswith("preproc") or "comment" in kind:
        return
    if kind in _BLOCKS:
        out.append(Stmt("block", line, end, blocks=(_block(node),)))
    elif kind in _DECLARATIONS:
        _declaration(node, out)
    elif kind == "expression_statement":
        inner = node.named_children[0] if node.named_children else None
        if inner is not None:
            _expression_statement(inner, out)
    elif kind in _CLASSES:
        name = node.child_by_field_name("name")
        body = node.child_by_field_name("body")
        out.append(
            Stmt("class", line, end, blocks=(_block(body),), name=_text(name) if name else "")
        )
    elif kind in _FUNCTIONS:
        _function(node, out)
    elif kind == "return_statement":
        values = [c for c in node.named_children if "comment" not in c.type]
        out.append(Stmt("return", line, end, (_expr(values[0]),) if values else ()))
    elif kind in _JUMPS:
        values = tuple(_expr(c) for c in node.named_children[:1] if kind.startswith("throw"))
        out.append(Stmt("jump", line, end, values, name=_JUMPS[kind]))
    elif kind == "if_statement":
        test = _expr(node.child_by_field_name("condition"))
        then = _block(node.child_by_field_name("consequence"))
        alternative = node.child_by_field_name("alternative")
        if alternative is not None and alternative.type == "else_clause":
            alternative = alternative.named_children[0] if alternative.named_children else None
        out.append(Stmt("if", line, end, (test,), (then, _block(alternative))))
    elif kind in _LOOPS:
        condition = node.child_by_field_name("condition")
        test = _expr(condition) if condition is not None else None
        out.append(Stmt("loop", line, end, (test,), (_block(node.child_by_field_name("body")),)))
    elif kind == "for_statement":
        _for(node, out)
    elif kind in _FOREACH:
        target = node.child_by_field_name("name") or node.child_by_field_name("left")
        target = target or node.child_by_field_name("declarator")
        iterable = node.child_by_field_name("value") or node.child_by_field_name("right")
        body = _block(node.child_by_field_name("body"))
        out.append(Stmt("foreach", line, end, (_expr(target), _expr(iterable)), (body,)))
    elif kind in ("switch_expression", "switch_statement"):
        subject = _expr(node.child_by_field_name("condition") or node.child_by_field_name("value"))
        labels, cases = _cases(node.child_by_field_name("body"))
        out.append(Stmt("switch", line, end, (subject, labels), cases))
    elif kind in ("try_statement", "try_with_resources_statement", "synchronized_statement"):
        blocks = [_block(node.child_by_field_name("body"))]
        for child in node.named_children:
            if child.type in ("catch_clause", "finally_clause"):
                body = child.child_by_field_name("body") or child.named_children[-1]
                blocks.append(_block(body))
        out.append(Stmt("block", line, end, blocks=tuple(blocks)))
    else:
        out.append(
            Stmt("other", line, end, tuple(_expr(c) for c in node.named_children), name=kind)
        )


def _cases(body: Node | None) -> tuple[tuple[tuple[Expr, ...], ...], tuple[list[Stmt], ...]]:
    """Each case's labels (empty for ``default``) and statements; labels that fall through to
    the next case (``case 1: case 2: ...``) join it."""
    labels: list[tuple[Expr, ...]] = []
    cases: list[list[Stmt]] = []
    pending: list[Expr] = []
    default = False
    for group in body.named_children if body is not None else []:
        statements: list[Stmt] = []
        for child in group.named_children:
            if child.type in ("switch_label", "case_label"):
                values = [c for c in child.named_children if "comment" not in c.type]
                pending += [_expr(v) for v in values]
                default = default or not values
            elif child.type not in ("case", "default"):
                _stmt(child, statements)
        if not statements:
            continue
        labels.append(() if default else tuple(pending))
        cases.append(statements)
        pending, default = [], False
    return tuple(labels), tuple(cases)


def _declaration(node: Node, out: list[Stmt]) -> None:
    # int a = 1, b; declares two variables: two statements, and b without a value is nothing
    # until it is assigned (the split and merged forms normalise alike).
    for child in node.named_children:
        if child.type in ("variable_declarator", "init_declarator"):
            name = child.child_by_field_name("name") or child.child_by_field_name("declarator")
            value = child.child_by_field_name("value")
            line, end = _line(child)
            if value is not None and value.type == "initializer_list":
                value_expr: Expr | None = (
                    "seq",
                    "array",
                    tuple(_expr(v) for v in value.named_children),
                )
            else:
                value_expr = _expr(value) if value is not None else None
            out.append(Stmt("assign", line, end, (_declared_name(name), value_expr)))
        elif child.type in ("identifier", "array_declarator", "pointer_declarator"):
            line, end = _line(child)
            out.append(Stmt("assign", line, end, (_declared_name(child), None)))
        elif child.type in ("function_declarator",):
            continue


def _declared_name(node: Node | None) -> Expr:
    while node is not None and node.type in (
        "array_declarator",
        "pointer_declarator",
        "reference_declarator",
        "init_declarator",
    ):
        node = node.child_by_field_name("declarator") or (node.named_children or [None])[0]
    return ("id", _text(node)) if node is not None else ("lit", "null")


def _expression_statement(node: Node, out: list[Stmt]) -> None:
    line, end = _line(node)
    while node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    if node.type in ("assignment_expression", "augmented_assignment_expression"):
        out.append(_assignment(node))
    elif node.type == "update_expression":
        operand = node.child_by_field_name("argument") or node.named_children[0]
        op = "+" if "++" in _text(node) else "-"
        out.append(increment(_expr(operand), op, line, end))
    elif node.type in ("sequence_expression", "comma_expression"):
        for child in node.named_children:
            _expression_statement(child, out)
    else:
        out.append(Stmt("expr", line, end, (_expr(node),)))


def _assignment(node: Node) -> Stmt:
    line, end = _line(node)
    target = _expr(node.child_by_field_name("left"))
    value = _expr(node.child_by_field_name("right"))
    operator = node.child_by_field_name("operator")
    op = _text(operator) if operator is not None else "="
    if op != "=":
        value = ("bin", op[:-1], target, value)
    return Stmt("assign", line, end, (target, value))


def _for(node: Node, out: list[Stmt]) -> None:
    line, end = _line(node)
    init: list[Stmt] = []
    update: list[Stmt] = []
    for field_name in ("init", "initializer"):
        for child in node.children_by_field_name(field_name):
            if child.type in _DECLARATIONS:
                _declaration(child, init)
            else:
                _expression_statement(child, init)
    for field_name in ("update", "increment"):
        for child in node.children_by_field_name(field_name):
            _expression_statement(child, update)
    condition = node.child_by_field_name("condition")
    test = _expr(condition) if condition is not None else None
    if test is not None and condition is not None and condition.type == "expression_statement":
        test = _expr(condition.named_children[0]) if condition.named_children else None
    body = _block(node.child_by_field_name("body"))
    out.append(Stmt("for", line, end, (test,), (init, update, body)))


def _function(node: Node, out: list[Stmt]) -> None:
    line, end = _line(node)
    name_node = node.child_by_field_name("name")
    parameters = node.child_by_field_name("parameters")
    declarator = node.child_by_field_name("declarator")
    while name_node is None and declarator is not None:
        # C/C++: the name and parameters sit inside (possibly nested) declarators.
        parameters = declarator.child_by_field_name("parameters") or parameters
        inner = declarator.child_by_field_name("declarator")
        if inner is None or inner.type in _IDENTIFIERS or inner.type == "field_identifier":
            name_node = inner
            break
        declarator = inner
    params: list[str] = []
    if parameters is not None:
        for parameter in parameters.named_children:
            name = parameter.child_by_field_name("name") or parameter.child_by_field_name(
                "declarator"
            )
            if parameter.type == "identifier":
                name = parameter
            if name is not None:
                params.append(_text(_innermost(name)))
    body = _block(node.child_by_field_name("body"))
    name = _text(name_node) if name_node is not None else ""
    out.append(Stmt("func", line, end, blocks=(body,), name=name, params=tuple(params)))


def _innermost(node: Node) -> Node:
    while node.type not in _IDENTIFIERS and node.named_children:
        node = node.child_by_field_name("declarator") or node.named_children[0]
    return node


def _expr(node: Node | None) -> Expr:  # noqa: C901 - one case per expression type
    if node is None:
        return ("lit", "null")
    kind = node.type
    while kind in _TRANSPARENT and node.named_children:
        node = node.child_by_field_name("value") or node.named_children[-1]
        kind = node.type
    if kind in _IDENTIFIERS:
        return ("id", _text(node))
    if kind in _NUMBERS:
        text = _text(node).rstrip("lLfFdDuU")
        return ("lit", text if text in ("0", "1") else "N")
    if kind in _LITERALS:
        return ("lit", _LITERALS[kind])
    if kind == "binary_expression":
        operator = node.child_by_field_name("operator")
        op = _text(operator) if operator is not None else "?"
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        return ("bin", op, _expr(left), _expr(right))
    if kind in ("unary_expression", "not_expression"):
        operator = node.child_by_field_name("operator")
        operand = node.child_by_field_name("operand") or node.child_by_field_name("argument")
        op = _text(operator) if operator is not None else _text(node)[:1]
        return ("un", op, _expr(operand or node.named_children[-1]))
    if kind == "update_expression":
        operand = node.child_by_field_name("argument") or node.named_children[0]
        target = _expr(operand)
        return (
            "assign",
            target,
            ("bin", "+" if "++" in _text(node) else "-", target, ("lit", "1")),
        )
    if kind in ("assignment_expression", "augmented_assignment_expression"):
        statement = _assignment(node)
        return ("assign", *statement.exprs)
    if kind in ("method_invocation", "call_expression"):
        arguments = node.child_by_field_name("arguments")
        args = tuple(_expr(a) for a in arguments.named_children) if arguments else ()
        function = node.child_by_field_name("function")
        if function is None:
            name = node.child_by_field_name("name")
            target = node.child_by_field_name("object")
            callee: Expr = ("id", _text(name)) if name is not None else ("lit", "null")
            if target is not None:
                callee = ("attr", _expr(target), _text(name) if name is not None else "")
        else:
            callee = _expr(function)
        return ("call", callee, args)
    if kind in ("field_access", "member_expression", "field_expression"):
        target = node.child_by_field_name("object") or node.child_by_field_name("argument")
        field = node.child_by_field_name("field") or node.child_by_field_name("property")
        return ("attr", _expr(target), _text(field) if field is not None else "")
    if kind in ("array_access", "subscript_expression"):
        target = node.child_by_field_name("array") or node.child_by_field_name("object")
        target = target or node.child_by_field_name("argument")
        index = node.child_by_field_name("index") or node.child_by_field_name("indices")
        return ("index", _expr(target), _expr(index))
    if kind in ("ternary_expression", "conditional_expression"):
        return (
            "cond",
            _expr(node.child_by_field_name("condition")),
            _expr(node.child_by_field_name("consequence")),
            _expr(node.child_by_field_name("alternative")),
        )
    if kind in ("object_creation_expression", "new_expression", "array_creation_expression"):
        type_node = node.child_by_field_name("type") or node.child_by_field_name("constructor")
        arguments = node.child_by_field_name("arguments")
        parts = arguments.named_children if arguments else node.named_children[1:]
        type_name = _text(type_node).split("<")[0] if type_node is not None else ""
        return ("new", type_name, tuple(_expr(a) for a in parts))
    if kind in (
        "array_initializer",
        "array",
        "initializer_list",
        "argument_list",
        "subscript_argument_list",
        "dimensions_expr",
    ):
        items = tuple(_expr(c) for c in node.named_children)
        return (
            items[0] if len(items) == 1 and kind == "dimensions_expr" else ("seq", "array", items)
        )
    children = tuple(_expr(c) for c in node.named_children if "comment" not in c.type)
    if not children:
        return ("lit", kind)
    return ("seq", kind, children)
