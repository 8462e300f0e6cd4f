"""Turn source code into a normalised token stream for similarity matching.

Only the *shape* of the code survives: identifiers become one ``ID`` class, literals one class
per kind (``STR``, ``NUM``), comments, whitespace and docstrings disappear, while keywords,
operators and punctuation keep their text. Renaming variables, rewording strings or adding
comments therefore leaves the stream unchanged, which is what MOSS, JPlag and Dolos rely on.
"""

from __future__ import annotations

import io
import keyword
import tokenize as pytokenize
from dataclasses import dataclass
from functools import cache
from token import EXACT_TOKEN_TYPES

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import (
    Comment,
    Keyword,
    Literal,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
)
from pygments.token import Error as ErrorToken
from pygments.token import Text as TextToken

#: Canonical language name -> Pygments lexer alias. Python uses the standard library tokenizer
#: (exact, and faster than Pygments) and falls back to Pygments only for code it cannot lex.
SUPPORTED_LANGUAGES: dict[str, str] = {
    "python": "python",
    "javascript": "javascript",
    "typescript": "typescript",
    "java": "java",
    "c": "c",
    "cpp": "cpp",
    "csharp": "csharp",
    "go": "go",
    "rust": "rust",
    "ruby": "ruby",
    "kotlin": "kotlin",
    "php": "php",
    "swift": "swift",
    "scala": "scala",
}

# Spellings candidates and exam authors commonly use for the same languages.
_ALIASES: dict[str, str] = {
    "py": "python",
    "python3": "python",
    "js": "javascript",
    "node": "javascript",
    "ts": "typescript",
    "c++": "cpp",
    "cxx": "cpp",
    "c#": "csharp",
    "cs": "csharp",
    "golang": "go",
    "rs": "rust",
    "rb": "ruby",
    "kt": "kotlin",
}

IDENTIFIER = "ID"
STRING = "STR"
NUMBER = "NUM"
OTHER_LITERAL = "LIT"


class UnknownLanguage(ValueError):
    """The language is not one the similarity engine can tokenize."""

    def __init__(self, language: str) -> None:
        self.language = language
        supported = ", ".join(sorted(SUPPORTED_LANGUAGES))
        super().__init__(f"unknown language {language!r}; supported: {supported}")


@dataclass(frozen=True, slots=True)
class Token:
    """One normalised token and the 1-based source lines it spans."""

    kind: str
    line: int
    end_line: int


def language_normalize(language: str) -> str:
    """Return the canonical name of ``language`` (case and common aliases folded).

    Raises :class:`UnknownLanguage` when the language is not supported.
    """
    name = (language or "").strip().lower()
    name = _ALIASES.get(name, name)
    if name not in SUPPORTED_LANGUAGES:
        raise UnknownLanguage(language)
    return name


def code_tokenize(code: str, language: str) -> list[Token]:
    """Tokenize ``code`` written in ``language`` into normalised tokens, in source order.

    Never raises on malformed code (candidates submit unfinished programs); raises
    :class:`UnknownLanguage` for an unsupported language.
    """
    name = language_normalize(language)
    # Windows line endings must not shift line numbers or change tokens.
    code = code.replace("\r\n", "\n").replace("\r", "\n")
    if name == "python":
        try:
            return _python_tokenize(code)
        except (pytokenize.TokenError, SyntaxError):
            # Unfinished code (unclosed bracket, bad dedent) still deserves a comparison,
            # in the same token vocabulary so it can match its well-formed original.
            return _python_layout(_pygments_tokenize(code, _lexer("python")), code)
    return _pygments_tokenize(code, _lexer(SUPPORTED_LANGUAGES[name]))


_PY_DROP = {
    pytokenize.COMMENT,
    pytokenize.NL,
    pytokenize.ENCODING,
    pytokenize.ENDMARKER,
}
_PY_STATEMENT_START = {"NEWLINE", "INDENT", "DEDENT"}
# Python 3.12 splits f-strings into several tokens; 3.11 emits one STRING.
_PY_FSTRING_PARTS = {
    getattr(pytokenize, name)
    for name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
    if hasattr(pytokenize, name)
}


def _python_tokenize(code: str) -> list[Token]:
    tokens: list[Token] = []
    for tok in pytokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type in _PY_DROP:
            continue
        line, end_line = tok.start[0], tok.end[0]
        if tok.type == pytokenize.NAME:
            kind = tok.string if keyword.iskeyword(tok.string) else IDENTIFIER
        elif tok.type == pytokenize.STRING or tok.type in _PY_FSTRING_PARTS:
            if tokens and tokens[-1].kind == STRING:
                # Adjacent literals ("a" "b", f-string parts) are one literal.
                tokens[-1] = Token(STRING, tokens[-1].line, end_line)
                continue
            kind = STRING
        elif tok.type == pytokenize.NUMBER:
            kind = NUMBER
        elif tok.type == pytokenize.NEWLINE:
            kind = "NEWLINE"
            if _is_bare_string_statement(tokens):
                # A docstring or bare string statement is a comment in disguise.
                del tokens[-1]
                continue
        elif tok.type == pytokenize.INDENT:
            kind = "INDENT"
        elif tok.type == pytokenize.DEDENT:
            kind = "DEDENT"
            if tokens:
                # tokenize places DEDENT on the next statement's line; it closes the block
                # above, and a copied block must not claim the line of whatever follows it.
                line = end_line = tokens[-1].end_line
        else:
            kind = tok.string
        tokens.append(Token(kind, line, end_line))
    return tokens


def _is_bare_string_statement(tokens: list[Token]) -> bool:
    if not tokens or tokens[-1].kind != STRING:
        return False
    return len(tokens) == 1 or tokens[-2].kind in _PY_STATEMENT_START


_OPENERS = {"(", "[", "{"}
_CLOSERS = {")", "]", "}"}


def _python_layout(tokens: list[Token], code: str) -> list[Token]:
    """Add the NEWLINE/INDENT/DEDENT tokens ``tokenize`` would emit, tolerating bad indents.

    Pygments' Python lexer has no layout tokens; without them a program that fails to
    tokenize would share no k-gram with a well-indented copy of itself.
    """
    lines = code.split("\n")
    out: list[Token] = []
    indents = [0]
    depth = 0
    for token in tokens:
        if out and depth == 0 and token.line > out[-1].end_line:
            _end_logical_line(out)
            text = lines[token.line - 1].expandtabs(8)
            width = len(text) - len(text.lstrip())
            last_line = out[-1].end_line if out else token.line
            while width < indents[-1]:
                indents.pop()
                out.append(Token("DEDENT", last_line, last_line))
            if width > indents[-1]:
                indents.append(width)
                out.append(Token("INDENT", token.line, token.line))
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous.line == token.line
            and previous.kind + token.kind in EXACT_TOKEN_TYPES
            and previous.kind not in _OPENERS | _CLOSERS
        ):
            # Pygments splits "<=" or "+=" in two; tokenize keeps one operator.
            out[-1] = Token(previous.kind + token.kind, previous.line, token.end_line)
            continue
        out.append(token)
        if token.kind in _OPENERS:
            depth += 1
        elif token.kind in _CLOSERS:
            depth = max(depth - 1, 0)
    if out:
        _end_logical_line(out)
        last_line = out[-1].end_line if out else 1
        out.extend(Token("DEDENT", last_line, last_line) for _ in indents[1:])
    return out


def _end_logical_line(out: list[Token]) -> None:
    if _is_bare_string_statement(out):
        del out[-1]
    else:
        out.append(Token("NEWLINE", out[-1].end_line, out[-1].end_line))


# Exam answers are bare PHP code, not HTML pages with an opening "<?php" tag.
_LEXER_OPTIONS: dict[str, dict[str, bool]] = {"php": {"startinline": True}}


@cache
def _lexer(alias: str) -> Lexer:
    # stripnl/ensurenl off: offsets and line numbers must match the submitted text exactly.
    return get_lexer_by_name(
        alias, stripnl=False, ensurenl=False, **_LEXER_OPTIONS.get(alias, {})
    )


def _pygments_tokenize(code: str, lexer: Lexer) -> list[Token]:
    tokens: list[Token] = []
    line = 1
    previous_was_string = False
    for _, ttype, value in lexer.get_tokens_unprocessed(code):
        newlines = value.count("\n")
        start_line = line
        end_line = line + value.rstrip("\n").count("\n")
        line += newlines
        if (
            ttype in TextToken
            or ttype in Comment
            or ttype in String.Doc
            or not value.strip()
        ):
            # Whitespace and comments (preprocessor lines included) carry no program shape.
            continue
        if ttype in String:
            if previous_was_string:
                # Lexers split one literal into quotes, body and escapes: keep one STR.
                tokens[-1] = Token(STRING, tokens[-1].line, end_line)
                continue
            tokens.append(Token(STRING, start_line, end_line))
            previous_was_string = True
            continue
        previous_was_string = False
        if ttype in Number:
            tokens.append(Token(NUMBER, start_line, end_line))
        elif ttype in Literal:
            tokens.append(Token(OTHER_LITERAL, start_line, end_line))
        elif ttype in Name:
            tokens.append(Token(IDENTIFIER, start_line, end_line))
        elif ttype in Punctuation:
            # Some lexers glue punctuation runs like ");" - split so spacing cannot matter.
            tokens.extend(
                Token(ch, start_line, start_line) for ch in value if not ch.isspace()
            )
        elif ttype in Keyword or ttype in Operator or ttype in ErrorToken:
            tokens.append(Token("".join(value.split()), start_line, end_line))
        else:
            tokens.append(Token(value.strip(), start_line, end_line))
    return tokens
