"""The exam page's code editor (CodeMirror 6) in real Chromium: line numbers, highlighting and
indentation for every exam language, keyboard access, drafts and submissions.

The session is started through the service and the page resumes it (as after a reload with
identity already checked), so these tests need no enrollment and no worker.
"""

from __future__ import annotations

import pytest

from conftest import PASSWORD
from exams.models import Problem
from submissions.models import CodeSubmission

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# One short program per exam language; each has a keyword the highlighter must colour.
SAMPLES = {
    "python": ("def f(x):\n    return x  # c", "def"),
    "javascript": ("function f(x) { return x; }", "function"),
    "typescript": ("function f(x: number): number { return x; }", "function"),
    "java": ("class A { int f() { return 1; } }", "class"),
    "c": ("int main(void) { return 0; }", "return"),
    "cpp": ("int main() { return 0; }", "return"),
    "csharp": ("class A { int F() { return 1; } }", "class"),
    "go": ("func f() int { return 1 }", "func"),
    "rust": ("fn f() -> i32 { return 1; }", "fn"),
    "ruby": ("def f\n  1\nend", "def"),
    "php": ("function f($x) { return $x; }", "function"),
    "kotlin": ("fun f(): Int { return 1 }", "fun"),
    "swift": ("func f() -> Int { return 1 }", "func"),
    "scala": ("object A { def f = 1 }", "object"),
}


class EditorPage:
    """An exam page resumed into the exam step for a session that already exists."""

    def __init__(self, page, server, screenshot) -> None:
        self.page = page
        self.server = server
        self.shot = screenshot
        self.errors: list[str] = []
        self.csp: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                self.csp.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        page.set_default_timeout(20000)

    def resume(self, username: str, session_id: str) -> None:
        self.page.goto(f"{self.server.url}/exam/")
        self.page.evaluate(
            "(id) => sessionStorage.setItem('exam.state',"
            " JSON.stringify({sessionId: id, enrolled: true, step: 'exam'}))",
            session_id,
        )
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.locator(".cm-editor").first.wait_for()

    def content(self, problem: Problem):
        return self.page.locator(f"#code-{problem.pk} .cm-content")

    def text(self, session_id: str, problem: Problem) -> str:
        """The editor's text, as the page saved it (the draft is saved on every change)."""
        return self.page.evaluate(
            "(key) => JSON.parse(localStorage.getItem(key)).code",
            f"exam.draft.{session_id}.{problem.pk}",
        )

    def set_text(self, problem: Problem, text: str) -> None:
        content = self.content(problem)
        content.focus()
        self.page.keyboard.press("Control+a")
        self.page.keyboard.press("Delete")
        self.page.keyboard.insert_text(text)

    def assert_clean(self) -> None:
        assert not self.errors, f"JavaScript errors on the page: {self.errors}"
        assert not self.csp, f"Content-Security-Policy refusals: {self.csp}"


@pytest.fixture
def running(candidate, exam, start_session):
    session, _token = start_session(candidate, exam)
    first = Problem.objects.filter(exam=exam).order_by("order").first()
    return session, first


def test_editor_numbers_lines_highlights_and_indents_every_language(
    live_asgi_server, candidate, running, page, screenshot
):
    session, first = running
    editor_page = EditorPage(page, live_asgi_server, screenshot)
    editor_page.resume(candidate.username, str(session.pk))
    panel = page.locator(f"#problem-panel-{first.pk}")
    # The starter code is there, with one line number per line.
    assert editor_page.text(str(session.pk), first) == first.starter_code
    numbers = panel.locator(".cm-lineNumbers .cm-gutterElement").all_inner_texts()
    assert [n for n in numbers if n.strip()][:3] == ["1", "2", "3"]
    screenshot(page, "editor-python")

    language = panel.get_by_label("Language")
    for name, (sample, keyword) in SAMPLES.items():
        language.select_option(name)
        editor_page.set_text(first, sample)
        # The keyword is drawn in its own highlighted span, with the keyword colour.
        colour = page.evaluate(
            """([selector, keyword]) => {
                const spans = [...document.querySelectorAll(selector + ' .cm-line span')];
                const span = spans.find((s) => s.textContent === keyword);
                return span ? getComputedStyle(span).color : null;
            }""",
            [f"#code-{first.pk}", keyword],
        )
        assert colour == "rgb(122, 31, 162)", f"{name}: {keyword!r} not highlighted ({colour})"
        if name == "java":
            screenshot(page, "editor-java")

    # Indentation: Enter after a block opener indents, Tab indents more, Shift+Tab outdents.
    language.select_option("python")
    editor_page.set_text(first, "")
    page.keyboard.type("def two_sum(numbers, target):\nseen = {}")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.type("pass")
    expected = "def two_sum(numbers, target):\n    seen = {}\n        pass"
    assert editor_page.text(str(session.pk), first) == expected
    page.keyboard.press("Shift+Tab")
    expected = "def two_sum(numbers, target):\n    seen = {}\n    pass"
    assert editor_page.text(str(session.pk), first) == expected
    language.select_option("cpp")
    editor_page.set_text(first, "")
    page.keyboard.type("int main() {")
    page.keyboard.press("Enter")
    page.keyboard.type("return 0;")
    assert editor_page.text(str(session.pk), first) == "int main() {\n    return 0;\n}"
    language.select_option("python")
    editor_page.set_text(first, expected)

    # Tab stays in the editor; Escape then Tab moves focus on to the next control.
    editor_page.content(first).focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('cm-content')")
    page.keyboard.press("Control+z")  # the Tab above indented a line: undo it
    assert editor_page.text(str(session.pk), first) == expected
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert not page.evaluate("document.activeElement.classList.contains('cm-content')")
    # Focus never leaves the page (it would open a "window lost focus" incident): past the
    # last control it comes round to the first, in both directions.
    inside = "document.activeElement && document.activeElement !== document.body"
    assert page.evaluate(inside)
    assert page.evaluate("document.activeElement.classList.contains('skip-link')")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(inside)
    assert page.evaluate("document.activeElement.classList.contains('cm-content')")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    screenshot(page, "editor-indented")

    # Submit: the version message stays (a pending "Draft saved" does not replace it).
    panel.get_by_role("button", name="Submit this solution").click()
    status = panel.locator(".save-status")
    page.get_by_text("Version 1 submitted").wait_for()
    page.wait_for_timeout(2500)
    assert status.inner_text().startswith("Version 1 submitted"), status.inner_text()
    stored = CodeSubmission.objects.get(session=session, problem=first)
    assert stored.code == expected
    assert stored.language == "python"

    # A reload keeps the draft and the language.
    page.reload()
    page.locator(f"#code-{first.pk} .cm-editor").wait_for()
    assert editor_page.text(str(session.pk), first) == expected
    assert panel.get_by_label("Language").input_value() == "python"
    editor_page.assert_clean()
