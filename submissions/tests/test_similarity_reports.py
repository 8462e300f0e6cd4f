"""Similarity across candidates through the management commands and the background task."""

from __future__ import annotations

import ast
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django_q.tasks import async_task

from exams.models import Exam, ExamSession
from exams.services import session_start
from monitoring.models import Incident
from submissions.models import SimilarityMatch
from submissions.services import session_final_submit, submission_create
from submissions.tasks import similarity_report_for_exam
from submissions.tests import similarity_programs as programs
from submissions.tests.factories import coding_exam_create, exam_taken

pytestmark = pytest.mark.django_db

STUB = "    # TODO: return the length of the shortest path from S to E, or -1\n    pass\n"


def functions_of(code: str) -> dict[str, tuple[int, int]]:
    return {
        node.name: (node.lineno, node.end_lineno or node.lineno)
        for node in ast.parse(code).body
        if isinstance(node, ast.FunctionDef)
    }


def overlap(lines: list[int], span: tuple[int, int]) -> int:
    return max(0, min(lines[1], span[1]) - max(lines[0], span[0]) + 1)


def assert_regions_pair_renamed_functions(
    regions: list[dict], code_a: str, code_b: str, renames: dict[str, str]
) -> None:
    """Every region joins a function of a to its renamed copy in b; every copy is covered."""
    functions_a, functions_b = functions_of(code_a), functions_of(code_b)
    for region in regions:
        in_a = max(functions_a, key=lambda name: overlap(region["a_lines"], functions_a[name]))
        in_b = max(functions_b, key=lambda name: overlap(region["b_lines"], functions_b[name]))
        assert renames.get(in_a) == in_b, (region, in_a, in_b)
    for original, copied in renames.items():
        span_a, span_b = functions_a[original], functions_b[copied]
        assert any(
            overlap(r["a_lines"], span_a) >= 0.8 * (span_a[1] - span_a[0] + 1)
            and overlap(r["b_lines"], span_b) >= 0.8 * (span_b[1] - span_b[0] + 1)
            for r in regions
        ), (original, copied, regions)


@pytest.fixture
def coding_exam(db) -> Exam:  # noqa: ANN001
    return coding_exam_create()


@pytest.fixture
def cohort(coding_exam) -> dict[str, ExamSession]:  # noqa: ANN001
    """Five candidates: a copier, their source, an independent solver, two starter-only."""
    return {
        "original": exam_taken(coding_exam, "olivia", programs.PY_ORIGINAL),
        "copy": exam_taken(coding_exam, "carl", programs.PY_COPY),
        "independent": exam_taken(coding_exam, "ines", programs.PY_INDEPENDENT),
        "starter_one": exam_taken(coding_exam, "sam", programs.PY_STARTER),
        "starter_two": exam_taken(
            coding_exam, "sue", programs.PY_STARTER.replace(STUB, "    return -1\n")
        ),
    }


def report_json(exam: Exam) -> dict:
    out = StringIO()
    call_command("similarity_report", "--exam", str(exam.pk), "--json", stdout=out)
    return json.loads(out.getvalue())


def assert_copy_found(cohort: dict[str, ExamSession]) -> SimilarityMatch:
    match = SimilarityMatch.objects.get()
    assert {match.session_a_id, match.session_b_id} == {
        cohort["original"].pk,
        cohort["copy"].pk,
    }
    assert match.score >= 0.8
    assert match.submission_a.is_final and match.submission_b.is_final
    if match.session_a_id == cohort["original"].pk:
        assert_regions_pair_renamed_functions(
            match.regions, programs.PY_ORIGINAL, programs.PY_COPY, programs.PY_COPY_RENAMES
        )
    else:
        flipped = [{"a_lines": r["b_lines"], "b_lines": r["a_lines"]} for r in match.regions]
        assert_regions_pair_renamed_functions(
            flipped, programs.PY_ORIGINAL, programs.PY_COPY, programs.PY_COPY_RENAMES
        )
    return match


def assert_incidents_on_both_sessions(match: SimilarityMatch, cohort: dict) -> None:
    incidents = Incident.objects.filter(kind=Incident.Kind.CODE_SIMILARITY)
    assert sorted(str(i.session_id) for i in incidents) == sorted(
        [str(cohort["original"].pk), str(cohort["copy"].pk)]
    )
    for incident in incidents:
        assert incident.source == Incident.Source.SIMILARITY
        assert incident.evidence == [{"type": "similarity", "id": match.pk}]
        assert incident.severity == Incident.Severity.HIGH
        assert incident.confidence == pytest.approx(match.score)
        own_is_a = incident.session_id == match.session_a_id
        other = match.session_b_id if own_is_a else match.session_a_id
        assert incident.details["other_session_id"] == str(other)
        own_lines = [r["a_lines" if own_is_a else "b_lines"] for r in match.regions]
        assert [r["lines"] for r in incident.details["regions"]] == own_lines
    assert {match.incident_a_id, match.incident_b_id} == {i.pk for i in incidents}


def test_report_command_finds_the_disguised_copy_and_flags_both_sessions(coding_exam, cohort):
    report = report_json(coding_exam)

    (problem,) = report["problems"]
    assert problem["compared"] == 5
    assert problem["new_matches"] == 1
    (pair,) = problem["pairs"]
    match = assert_copy_found(cohort)
    assert pair["match_id"] == match.pk
    assert pair["matches"] == match.regions
    assert {pair["a"]["session_id"], pair["b"]["session_id"]} == {
        str(cohort["original"].pk),
        str(cohort["copy"].pk),
    }
    assert_incidents_on_both_sessions(match, cohort)


def test_report_is_idempotent(coding_exam, cohort):
    report_json(coding_exam)
    first = list(Incident.objects.values_list("pk", flat=True))

    again = report_json(coding_exam)

    assert again["problems"][0]["new_matches"] == 0
    assert len(again["problems"][0]["pairs"]) == 1
    assert SimilarityMatch.objects.count() == 1
    assert list(Incident.objects.values_list("pk", flat=True)) == first


def test_report_text_output_names_candidates_and_lines(coding_exam, cohort):
    out = StringIO()
    call_command("similarity_report", "--exam", str(coding_exam.pk), stdout=out)

    text = out.getvalue()
    assert "Olivia" in text or "olivia" in text
    assert "lines " in text and "1 pairs (1 new)" in text


def test_report_for_an_unknown_exam_fails_clearly():
    with pytest.raises(CommandError, match="No exam with id"):
        call_command("similarity_report", "--exam", "999999")


def test_independent_and_starter_only_sessions_are_never_flagged(coding_exam, cohort):
    report_json(coding_exam)

    for name in ("independent", "starter_one", "starter_two"):
        assert not Incident.objects.filter(session=cohort[name]).exists(), name


def test_running_sessions_are_not_compared(coding_exam):
    exam_taken(coding_exam, "olivia", programs.PY_ORIGINAL)
    exam_taken(coding_exam, "carl", programs.PY_COPY, final=False)

    report = report_json(coding_exam)

    assert report["problems"][0]["compared"] == 1
    assert not SimilarityMatch.objects.exists()


def test_a_candidate_is_never_compared_with_their_own_earlier_session(coding_exam, proctor):
    from exams.attempts import session_attempt_grant
    from exams.services import session_terminate

    first = exam_taken(coding_exam, "olivia", programs.PY_ORIGINAL, final=False)
    session_terminate(session=first, actor=proctor, reason="restart")
    session_attempt_grant(session=first, actor=proctor, reason="Restart after a power cut.")
    session, _ = session_start(candidate=first.candidate, exam=coding_exam, consent=True)
    submission_create(
        session=session, problem_id=coding_exam.problems.get().pk, code=programs.PY_ORIGINAL
    )
    session_final_submit(session=session, actor=first.candidate)

    assert report_json(coding_exam)["problems"][0]["compared"] == 1
    assert not SimilarityMatch.objects.exists()


def test_task_runs_when_the_last_session_of_the_exam_ends(
    coding_exam, django_capture_on_commit_callbacks, monkeypatch
):
    enqueued = []

    def async_task_spy(name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        enqueued.append((name, args))
        return async_task(name, *args, **kwargs)

    monkeypatch.setattr("submissions.reports.async_task", async_task_spy)
    # On-commit callbacks run when each block ends, as after a real request's commit.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        original = exam_taken(coding_exam, "olivia", programs.PY_ORIGINAL)
        copy = exam_taken(coding_exam, "carl", programs.PY_COPY, final=False)
    # Olivia handed in, but the copier is still writing: nothing is compared yet.
    assert callbacks
    assert enqueued == []
    assert not SimilarityMatch.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        session_final_submit(session=copy, actor=copy.candidate)

    assert enqueued == [("submissions.tasks.similarity_report_for_exam", (coding_exam.pk,))]
    sessions = {"original": original, "copy": copy}
    match = SimilarityMatch.objects.get()
    assert {match.session_a_id, match.session_b_id} == {
        sessions["original"].pk,
        sessions["copy"].pk,
    }
    assert Incident.objects.filter(kind=Incident.Kind.CODE_SIMILARITY).count() == 2


def test_task_entry_point_reports_a_summary(coding_exam, cohort):
    summary = similarity_report_for_exam(coding_exam.pk)

    assert summary["problems"][0]["compared"] == 5
    assert summary["problems"][0]["pairs"] == 1
    assert_incidents_on_both_sessions(assert_copy_found(cohort), cohort)
    assert similarity_report_for_exam(999999)["skipped"]


# --- similarity_files ----------------------------------------------------------------------


def files_json(*args: str) -> dict:
    out = StringIO()
    call_command("similarity_files", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def program_files(tmp_path: Path) -> dict[str, str]:
    paths = {}
    for name in ("PY_STARTER", "PY_ORIGINAL", "PY_COPY", "PY_INDEPENDENT"):
        path = tmp_path / f"{name.lower()}.py"
        path.write_text(getattr(programs, name), encoding="utf-8")
        paths[name] = str(path)
    starter_only = tmp_path / "starter_only.py"
    starter_only.write_text(programs.PY_STARTER.replace(STUB, "    return -1\n"))
    paths["STARTER_ONLY"] = str(starter_only)
    return paths


def test_similarity_files_prints_the_copied_pair_with_line_ranges(program_files):
    result = files_json(
        "--starter",
        program_files["PY_STARTER"],
        program_files["PY_ORIGINAL"],
        program_files["PY_INDEPENDENT"],
        program_files["PY_COPY"],
        program_files["STARTER_ONLY"],
    )

    assert list(result) == ["pairs"]
    (pair,) = result["pairs"]
    assert list(pair) == ["a", "b", "score", "matches"]
    assert (pair["a"], pair["b"]) == (program_files["PY_ORIGINAL"], program_files["PY_COPY"])
    assert 0.8 <= pair["score"] <= 1.0
    assert all(list(m) == ["a_lines", "b_lines"] for m in pair["matches"])
    assert_regions_pair_renamed_functions(
        pair["matches"], programs.PY_ORIGINAL, programs.PY_COPY, programs.PY_COPY_RENAMES
    )


def test_similarity_files_orders_pairs_highest_first(program_files, tmp_path):
    # A second, partial copy: only two of the original's functions.
    partial = tmp_path / "partial.py"
    code = programs.PY_ORIGINAL
    spans = functions_of(code)
    lines = code.splitlines(keepends=True)
    keep = [spans["bfs"], spans["neighbours"]]
    partial.write_text(
        "".join(line for n, line in enumerate(lines, 1) if any(a <= n <= b for a, b in keep))
    )

    result = files_json(
        "--threshold", "0.1", program_files["PY_ORIGINAL"], program_files["PY_COPY"], str(partial)
    )

    scores = [pair["score"] for pair in result["pairs"]]
    assert len(scores) >= 2
    assert scores == sorted(scores, reverse=True)


def test_starter_code_alone_never_matches_in_files(program_files, tmp_path):
    twin = tmp_path / "twin.py"
    twin.write_text(Path(program_files["STARTER_ONLY"]).read_text())

    with_starter = files_json(
        "--starter", program_files["PY_STARTER"], program_files["STARTER_ONLY"], str(twin)
    )
    unchanged = files_json(
        "--starter", program_files["PY_STARTER"], program_files["PY_STARTER"], str(twin)
    )

    assert with_starter == {"pairs": []}
    assert unchanged == {"pairs": []}


def test_similarity_files_refuses_bad_input_clearly(program_files, tmp_path):
    latin1 = tmp_path / "latin1.py"
    latin1.write_bytes(b"print('caf\xe9')\n")
    unknown = tmp_path / "notes.txt"
    unknown.write_text("hello\n")

    with pytest.raises(CommandError, match="not valid UTF-8"):
        files_json(program_files["PY_ORIGINAL"], str(latin1))
    with pytest.raises(CommandError, match="--language"):
        files_json(program_files["PY_ORIGINAL"], str(unknown))
    with pytest.raises(CommandError, match="Unknown language"):
        files_json("--language", "klingon", program_files["PY_ORIGINAL"], str(unknown))
    with pytest.raises(CommandError, match="cannot read"):
        files_json(program_files["PY_ORIGINAL"], str(tmp_path / "missing.py"))
    with pytest.raises(CommandError, match="at least two"):
        files_json(program_files["PY_ORIGINAL"])


# --- the reviewers' API ---------------------------------------------------------------------


def test_reviewers_list_matches_and_candidates_cannot(coding_exam, cohort, proctor, client_for):
    report_json(coding_exam)
    match = SimilarityMatch.objects.get()
    client = client_for(proctor)
    url = "/api/submissions/similarity"

    listed = client.get(url, {"exam_id": coding_exam.pk}).json()
    by_copier = client.get(url, {"session_id": str(cohort["copy"].pk)}).json()
    by_independent = client.get(url, {"session_id": str(cohort["independent"].pk)}).json()
    above_match = client.get(url, {"min_score": min(1.0, match.score + 0.01)}).json()
    as_candidate = client_for(cohort["copy"].candidate).get(url)

    (item,) = listed["results"]
    assert item["match_id"] == match.pk
    assert item["matches"] == match.regions
    assert item["problem_id"] == coding_exam.problems.get().pk
    assert sorted(item["incidents"]) == sorted([match.incident_a_id, match.incident_b_id])
    assert by_copier["count"] == 1
    assert by_independent["count"] == 0
    assert above_match["count"] == 0
    assert as_candidate.status_code == 403


def test_rerun_with_other_parameters_updates_the_match_and_its_incidents(
    coding_exam, cohort, settings
):
    report_json(coding_exam)
    before = SimilarityMatch.objects.get()

    settings.SIMILARITY_K = 8
    settings.SIMILARITY_WINDOW = 4
    report_json(coding_exam)

    after = SimilarityMatch.objects.get()
    assert after.pk == before.pk
    assert (after.score, after.regions) != (before.score, before.regions)
    incidents = Incident.objects.filter(kind=Incident.Kind.CODE_SIMILARITY)
    assert incidents.count() == 2
    for incident in incidents:
        assert incident.confidence == pytest.approx(after.score)
        assert incident.details["score"] == round(after.score, 4)


HELPER = """

def format_grid(grid, path=()):
    marked = set(path)
    lines = []
    for r, row in enumerate(grid):
        chars = []
        for c, value in enumerate(row):
            chars.append("*" if (r, c) in marked and value == "." else value)
        lines.append("".join(chars))
    return "\\n".join(lines)
"""


def pairs_found(exam: Exam) -> int:
    return sum(p["pairs"] for p in similarity_report_for_exam(exam.pk)["problems"])


def two_starter_solvers_with_the_helper(exam: Exam) -> None:
    body = "    return len(grid) + len(grid[0])\n"
    exam_taken(exam, f"hana{exam.pk}", programs.PY_STARTER.replace(STUB, body) + HELPER)
    other = "    total = 0\n    for row in grid:\n        total += len(row)\n    return total\n"
    exam_taken(exam, f"hugo{exam.pk}", programs.PY_STARTER.replace(STUB, other) + HELPER)


def test_the_exams_idiom_corpus_is_not_counted_as_copied(coding_exam):
    two_starter_solvers_with_the_helper(coding_exam)
    assert pairs_found(coding_exam) == 1

    SimilarityMatch.objects.all().delete()
    coding_exam.policy = {"similarity_idioms": [HELPER, 42]}
    coding_exam.save()
    assert pairs_found(coding_exam) == 0


def test_code_common_to_other_exams_is_not_counted_but_one_exams_ring_is(coding_exam):
    two_starter_solvers_with_the_helper(coding_exam)
    # Two earlier, independent exams whose candidates also wrote the helper.
    for title in ("Trees", "Heaps"):
        other = coding_exam_create(title)
        exam_taken(other, f"x{other.pk}", programs.PY_INDEPENDENT + HELPER)

    assert pairs_found(coding_exam) == 0

    # Copies of one source, however many, stay matches: other exams never saw that code.
    third = coding_exam_create("Rings")
    for n in range(4):
        exam_taken(third, f"ring{n}", programs.PY_ORIGINAL + "\n" * n)
    assert pairs_found(third) == 6


def test_similarity_files_ignores_idiom_files(program_files, tmp_path):
    first, second = tmp_path / "first.py", tmp_path / "second.py"
    first.write_text(Path(program_files["STARTER_ONLY"]).read_text() + HELPER)
    second.write_text(programs.PY_STARTER.replace(STUB, "    return 0\n") + HELPER)
    helper = tmp_path / "helper.py"
    helper.write_text(HELPER)

    flagged = files_json("--starter", program_files["PY_STARTER"], str(first), str(second))
    ignored = files_json(
        "--starter", program_files["PY_STARTER"], "--idiom", str(helper), str(first), str(second)
    )

    assert len(flagged["pairs"]) == 1
    assert ignored == {"pairs": []}
