"""Authorship signals on editor records that real Chromium typing produced in the exam page.

The typing is Playwright's, so it is still synthetic: one candidate types at an even pace
(``keyboard.type`` with a fixed delay, as a copyist would), the other in bursts with thinking
pauses and typos corrected with Backspace. What is real is the rest of the path: CodeMirror's
transactions, the page's records and its ``client_info`` declaration, the exactly-once event
queue, the stored monitoring log, the authorship check, the proctors' verdicts, and
``evaluate_authorship`` reading it all back.
"""

from __future__ import annotations

import json
import random
from io import StringIO

import pytest
from django.core.management import call_command

from exams.lifecycle import SessionStatus
from monitoring.models import Incident, MonitoringLog
from review.services import incident_verdict_record, session_verdict_record
from review.tests.test_exam_editor_browser import EditorPage
from review.tests.test_exam_flow_browser import api_post
from submissions.authorship_services import authorship_assess

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# No brackets, quotes or colons: CodeMirror would close or indent them, and the typed text
# would not be what was sent.
COPIED = (
    "total = first + second\ntotal = total * 3 - offset\ncount = count + 1\n"
    "limit = total // count\nresult = limit - total % 7\nanswer = result + limit * 2\n"
    "value = answer - first + second\ncheck = value * value - total\n"
)
COMPOSED = "size = 10\nstep = size // 2\nmiddle = step + 1\nlast = size - middle\n"


def finish(page) -> None:  # noqa: ANN001
    page.get_by_role("button", name="Finish exam…").click()
    page.get_by_role("button", name="Yes, finish the exam").click()
    page.get_by_text("Your exam was submitted. Thank you.").wait_for()


def type_like_a_writer(page, text: str, seed: int) -> None:  # noqa: ANN001
    """Bursts at uneven gaps, a pause before some lines, a typo removed now and then."""
    rng = random.Random(seed)
    for char in text:
        if char == "\n" and rng.random() < 0.5:
            page.wait_for_timeout(rng.uniform(1_500, 3_000))
        if char != "\n" and rng.random() < 0.08:
            page.keyboard.type("q")
            page.wait_for_timeout(rng.uniform(150, 400))
            page.keyboard.press("Backspace")
        page.wait_for_timeout(min(1_200, rng.lognormvariate(4.9, 0.6)))
        page.keyboard.press("Enter" if char == "\n" else char)


def test_real_editor_records_are_judged_and_evaluated_by_proctor_labels(  # noqa: PLR0915
    live_asgi_server,
    candidate,
    other_candidate,
    proctor,
    exam,
    start_session,
    browser,
    page,
    screenshot,
):
    first, second = exam.problems.order_by("order")

    # Alice copies at an even pace into the first problem; her second problem's code arrives
    # through the API, never typed in the page that declared its recording editor.
    copied, _token = start_session(candidate, exam)
    alice = EditorPage(page, live_asgi_server, screenshot)
    alice.resume(candidate.username, str(copied.pk))
    content = alice.content(first)
    content.focus()
    page.keyboard.press("Control+End")
    page.keyboard.type(COPIED, delay=110)
    assert alice.text(str(copied.pk), first).endswith(COPIED)
    status, _body = api_post(
        live_asgi_server,
        "/api/submissions/submit",
        {
            "session_id": str(copied.pk),
            "problem_id": second.pk,
            "code": "print(list(reversed([1, 2, 3])))\n",
        },
        candidate,
    )
    assert status == 201
    screenshot(page, "copied")
    finish(page)
    alice.assert_clean()

    # Bob writes his first problem as someone composing.
    composed, _token = start_session(other_candidate, exam)
    bob_page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
    bob = EditorPage(bob_page, live_asgi_server, screenshot)
    bob.resume(other_candidate.username, str(composed.pk))
    bob.content(first).focus()
    bob_page.keyboard.press("Control+End")
    type_like_a_writer(bob_page, COMPOSED, seed=7)
    assert bob.text(str(composed.pk), first).endswith(COMPOSED)
    screenshot(bob_page, "composed")
    finish(bob_page)
    bob.assert_clean()

    for session in (copied, composed):
        session.refresh_from_db()
        assert session.status == SessionStatus.SUBMITTED
        assert MonitoringLog.objects.filter(
            session=session, type="client_info", payload__editor_recording=True
        ).exists(), "the page declared its recording editor"
        authorship_assess(session=session)  # what the worker's task runs after the end

    found = {
        (i.session_id, i.kind, i.details["problem_id"]): i
        for i in Incident.objects.filter(
            kind__in=[Incident.Kind.TRANSCRIBED_TYPING, Incident.Kind.UNTYPED_SUBMISSION]
        )
    }
    transcription = found.get((copied.pk, Incident.Kind.TRANSCRIBED_TYPING, first.pk))
    assert transcription, f"the even copy was not flagged: {sorted(map(str, found))}"
    assert transcription.details["chars"] >= 120
    assert transcription.details["interval_cv"] <= 0.35
    untyped = found.get((copied.pk, Incident.Kind.UNTYPED_SUBMISSION, second.pk))
    assert untyped and untyped.severity == Incident.Severity.HIGH
    # Alice's first problem was typed in the page: not "untyped"; Bob has nothing at all.
    assert (copied.pk, Incident.Kind.UNTYPED_SUBMISSION, first.pk) not in found
    assert not [key for key in found if key[0] == composed.pk], found

    # The proctors' verdicts label both recordings; the command judges them again.
    incident_verdict_record(incident=transcription, reviewer=proctor, verdict="confirmed")
    session_verdict_record(session=composed, reviewer=proctor, verdict="clear")
    out = StringIO()
    call_command("evaluate_authorship", "--json", "--max-cv", "0.35,5", stdout=out)
    default, loose = json.loads(out.getvalue())
    rows = {(row["session_id"], row["problem_id"]): row for row in default["recordings"]}
    alice_row = rows[(str(copied.pk), first.pk)]
    bob_row = rows[(str(composed.pk), first.pk)]
    assert alice_row["label"] == "transcription" and alice_row["flagged"] is True
    assert bob_row["label"] == "not transcription" and bob_row["source"] == "session clear"
    assert bob_row["flagged"] is False
    assert default["true_positives"] == 1 and default["false_negatives"] == 0
    assert default["false_positives"] == 0 and default["true_negatives"] >= 1
    assert bob_row["longest_run"]["chars"] < 120  # his corrections break every run
    print(  # the figures for docs/exampage.md (pytest -s)
        "copied:",
        alice_row["longest_run"],
        "composed:",
        bob_row["longest_run"],
        "loose:",
        {k: loose[k] for k in ("true_positives", "false_positives", "true_negatives")},
    )
