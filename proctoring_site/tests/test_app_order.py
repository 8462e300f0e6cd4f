"""The apps stand in one order and import only downward (STYLE.md, "The house's order").

proctoring_site <- accounts <- exams <- monitoring <- {analysis, submissions} <- review.

Every ``import`` and ``from ... import`` of every Python file of every app (tests and
migrations included, imports inside functions too) is read with ``ast``; importing an app
above, or a sibling on the same level, fails with the file, line and module named. Only the
composition root (proctoring_site's URL and ASGI wiring, and its whole-system tests) may
reach every app.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LEVELS: dict[str, int] = {
    "proctoring_site": 0,
    "accounts": 1,
    "exams": 2,
    "monitoring": 3,
    "analysis": 4,
    "submissions": 4,
    "review": 5,
}

# The composition root wires every app together; nothing else imports upward. Its own tests
# (proctoring_site/tests/: the fuzzing, BOLA and bad-input suites) drive the whole wired system.
COMPOSITION_ROOT = frozenset(
    {"proctoring_site/urls.py", "proctoring_site/asgi.py", "proctoring_site/routing.py"}
)
SYSTEM_TESTS = "proctoring_site/tests/"


@dataclass(frozen=True)
class UpwardImport:
    path: str
    line: int
    importer: str
    imported: str
    module: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: {self.importer} imports {self.module} "
            f"({self.imported} is not below {self.importer})"
        )


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def upward_imports(root: Path, levels: dict[str, int] = LEVELS) -> list[UpwardImport]:
    """Every import in ``root``'s apps of an app that is not strictly below the importer."""
    problems = []
    for app, level in levels.items():
        for path in sorted((root / app).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if relative in COMPOSITION_ROOT or relative.startswith(SYSTEM_TESTS):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=relative)
            for line, module in _imported_modules(tree):
                target = module.split(".")[0]
                if target == app or target not in levels:
                    continue
                if levels[target] >= level:
                    problems.append(UpwardImport(relative, line, app, target, module))
    return problems


def test_no_app_imports_an_app_above_it() -> None:
    problems = upward_imports(ROOT)
    assert not problems, "Imports against the app order:\n" + "\n".join(map(str, problems))


def test_every_app_is_placed_in_the_order() -> None:
    apps = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert apps <= set(LEVELS), f"apps missing from LEVELS: {sorted(apps - set(LEVELS))}"


def test_the_check_catches_upward_sibling_and_nested_imports(tmp_path: Path) -> None:
    for app in ("exams", "analysis", "submissions", "review"):
        (tmp_path / app).mkdir()
    (tmp_path / "exams" / "models.py").write_text("from review.models import SessionVerdict\n")
    (tmp_path / "analysis" / "x.py").write_text("def f():\n    import submissions.models\n")
    (tmp_path / "submissions" / "y.py").write_text(
        "from exams.models import Exam\nfrom . import z\n"
    )
    (tmp_path / "review" / "z.py").write_text("from analysis.models import MediaItem\n")

    found = {(p.path, p.line, p.module) for p in upward_imports(tmp_path)}

    assert found == {
        ("exams/models.py", 1, "review.models"),
        ("analysis/x.py", 2, "submissions.models"),
    }
