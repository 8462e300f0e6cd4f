"""Recording and playback of the candidate's code in real Chromium: type, copy and paste inside
the editor, paste from outside, reload in the middle, finish; the stored change records rebuild
exactly the submitted code, and the reviewers' replay page shows it at any moment.
"""

from __future__ import annotations

import re

import pytest

from conftest import PASSWORD
from exams.lifecycle import SessionStatus
from exams.models import ExamSession
from monitoring.models import MonitoringLog
from review.tests.test_exam_editor_browser import EditorPage
from submissions.authorship import replay
from submissions.authorship_services import editor_changes_for
from submissions.models import CodeSubmission

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# 714 characters: recorded as two pieces (at most 600 each), replayed as one paste.
OUTSIDE = "def helper(values):\n    return sorted(set(values))\n" * 14


def clipboard(page, kind: str, text: str = "") -> None:
    """A copy or paste in the focused editor, as the browser delivers it (with clipboardData)."""
    page.evaluate(
        """([kind, text]) => {
            const data = new DataTransfer();
            if (text) data.setData('text/plain', text);
            const event = new ClipboardEvent(
                kind, {clipboardData: data, bubbles: true, cancelable: true});
            document.activeElement.dispatchEvent(event);
            return data.getData('text/plain');
        }""",
        [kind, text],
    )


def test_typing_pastes_and_a_reload_replay_to_the_stored_code(
    live_asgi_server, candidate, proctor, exam, start_session, page, screenshot
):
    session, _token = start_session(candidate, exam)
    first = exam.problems.order_by("order").first()
    editor_page = EditorPage(page, live_asgi_server, screenshot)
    editor_page.resume(candidate.username, str(session.pk))
    content = editor_page.content(first)
    content.focus()
    page.keyboard.press("Control+End")
    page.keyboard.type("\nx = 1  # typed")
    page.keyboard.press("Backspace")
    page.keyboard.type("d")
    # Copy a line inside the editor and paste it: text from this exam.
    page.keyboard.press("Home")
    page.keyboard.press("Shift+End")
    clipboard(page, "copy")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    clipboard(page, "paste", "x = 1  # typed")
    # A reload in the middle: what was recorded so far must not be lost or doubled.
    page.wait_for_timeout(300)
    page.reload()
    page.locator(f"#code-{first.pk} .cm-editor").wait_for()
    content = editor_page.content(first)
    content.focus()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    clipboard(page, "paste", OUTSIDE)  # from outside the exam
    page.keyboard.type("print('é😀')")
    code = editor_page.text(str(session.pk), first)
    assert code.endswith(OUTSIDE + "print('é😀')")
    screenshot(page, "written")

    page.get_by_role("button", name="Finish exam…").click()
    page.get_by_role("button", name="Yes, finish the exam").click()
    page.get_by_text("Your exam was submitted. Thank you.").wait_for()
    session.refresh_from_db()
    assert session.status == SessionStatus.SUBMITTED
    final = CodeSubmission.objects.get(session=session, problem=first, is_final=True)
    assert final.code == code

    # Stored once per event, per (session, problem): the replay rebuilds exactly the code.
    changes = editor_changes_for(session_id=session.pk, problem_id=first.pk)
    assert replay(changes) == code
    kinds = [change.kind for change in changes]
    assert kinds[0] == "base" and "open" in kinds and "type" in kinds and "delete" in kinds
    pastes = [change for change in changes if change.kind == "paste" and not change.cont]
    assert [p.origin for p in pastes] == ["exam", "outside"]
    outside = [c for c in changes if c.kind == "paste" and c.origin == "outside"]
    assert len(outside) == 2 and outside[1].cont
    assert "".join(c.inserted for c in outside) == OUTSIDE
    logs = MonitoringLog.objects.filter(session=session, type="editor_changes")
    seqs = list(logs.values_list("seq", flat=True))
    assert len(seqs) == len(set(seqs))
    # The page reported the outside paste with its origin and its text.
    paste_logs = MonitoringLog.objects.filter(session=session, type="paste").order_by("seq")
    assert [log.payload.get("origin") for log in paste_logs] == ["exam", "outside"]
    assert paste_logs.last().payload["text"] == OUTSIDE
    editor_page.assert_clean()

    # The reviewer's playback: the end is the final code, the start the starter code.
    page.context.clear_cookies()
    page.goto(f"{live_asgi_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", proctor.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/$"))
    page.goto(f"{live_asgi_server.url}/admin/exams/examsession/{session.pk}/review/")
    page.get_by_role("link", name=re.compile("Code playback")).click()
    section = page.locator(f'.replay[data-problem-id="{first.pk}"]')
    section.locator(".replay-code").wait_for()
    assert "the replay ends with exactly the final submission" in section.inner_text()
    assert section.locator(".replay-code").inner_text() == code
    slider = section.locator(".replay-slider")
    slider.fill("1")
    assert section.locator(".replay-code").inner_text() == first.starter_code
    pasted = section.locator(".replay-paste")
    assert pasted.count() == 2
    assert "copied inside this exam's editor" in pasted.nth(0).inner_text()
    assert "from outside the exam" in pasted.nth(1).inner_text()
    assert pasted.nth(1).locator("pre").inner_text() == OUTSIDE
    assert section.locator(".replay-mark").count() == 2
    assert section.locator(".replay-rhythm svg rect.bar").count() >= 1
    screenshot(page, "replay-start")
    # Play at 16x from the start until the end.
    slider.fill("0")
    section.get_by_label("Speed").select_option("16")
    section.get_by_role("button", name="Play").click()
    page.wait_for_function(
        "(el) => el.dataset.position === el.querySelector('.replay-slider').max",
        arg=section.element_handle(),
        timeout=60000,
    )
    assert section.locator(".replay-code").inner_text() == code
    pasted.nth(1).get_by_role("button").click()
    assert section.locator(".replay-code").inner_text().endswith(OUTSIDE)
    screenshot(page, "replay-after-paste")
    assert ExamSession.objects.filter(pk=session.pk).exists()
