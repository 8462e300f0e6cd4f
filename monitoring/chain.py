"""The per-session hash chain of monitoring logs: canonical content, hashing, verification.

Each row's hash is sha256(previous row's hash + canonical JSON of the row's content). The
content names the session, the chain position, the page's seq, the type, both timestamps and
the payload, so editing any of them, deleting a row or inserting one breaks the chain at that
point. Canonical JSON: sorted keys, no spaces, UTF-8, timestamps as UTC ISO 8601 with
microseconds (what both SQLite and PostgreSQL give back unchanged).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

GENESIS_HASH = "0" * 64


def _normalize(value: Any) -> Any:
    # PostgreSQL's jsonb gives 1e20 back as 100000000000000000000 (and 1.0 as 1.0): writing
    # integral floats as integers makes the content read back identical on every database.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8, integral floats as integers; NaN/Infinity refused."""
    return json.dumps(
        _normalize(value),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def canonical_ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def log_content(
    *,
    session_id: UUID | str,
    chain_index: int,
    seq: int,
    type: str,  # noqa: A002 - the column's name
    client_ts: datetime,
    server_ts: datetime,
    payload: Any,
) -> str:
    return canonical_json(
        {
            "session": str(session_id),
            "index": chain_index,
            "seq": seq,
            "type": type,
            "client_ts": canonical_ts(client_ts),
            "server_ts": canonical_ts(server_ts),
            "payload": payload,
        }
    )


def chain_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256((prev_hash + content).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """The outcome of verifying one session's chain; ``ok`` False names the first bad link."""

    session_id: str
    rows: int
    ok: bool
    chain_index: int | None = None
    seq: int | None = None
    reason: str = ""


def chain_verify(session_id: UUID | str) -> ChainReport:
    """Walk one session's logs in chain order and recompute every link.

    Detects: a row whose content no longer matches its hash (edited), a row whose prev_hash is
    not its predecessor's hash or a gap in chain positions (a row deleted or inserted), and a
    chain shorter or with another head than the session's recorded head (the last rows deleted).
    """
    from .models import MonitoringLog, SessionMonitor

    sid = str(session_id)
    expected_prev = GENESIS_HASH
    expected_index = 1
    rows = 0
    logs = (
        MonitoringLog.objects.filter(session_id=session_id)
        .order_by("chain_index")
        .values_list(
            "chain_index",
            "seq",
            "type",
            "client_ts",
            "server_ts",
            "payload",
            "prev_hash",
            "hash",
        )
    )
    for index, seq, type_, client_ts, server_ts, payload, prev_hash, stored in logs.iterator(
        chunk_size=2000
    ):
        rows += 1
        if index != expected_index:
            return ChainReport(
                sid,
                rows,
                False,
                index,
                seq,
                f"chain position {expected_index} is missing (found {index}): a row was deleted",
            )
        if prev_hash != expected_prev:
            return ChainReport(
                sid, rows, False, index, seq, "prev_hash does not match the previous row's hash"
            )
        content = log_content(
            session_id=sid,
            chain_index=index,
            seq=seq,
            type=type_,
            client_ts=client_ts,
            server_ts=server_ts,
            payload=payload,
        )
        if chain_hash(prev_hash, content) != stored:
            return ChainReport(
                sid, rows, False, index, seq, "content does not match its hash: the row was edited"
            )
        expected_prev = stored
        expected_index += 1

    head = SessionMonitor.objects.filter(session_id=session_id).first()
    if head is not None and head.chain_length != rows:
        return ChainReport(
            sid,
            rows,
            False,
            rows + 1,
            None,
            f"the chain has {rows} rows but its head records {head.chain_length}: "
            "rows at the end were deleted",
        )
    if head is not None and head.head_hash != expected_prev:
        return ChainReport(
            sid, rows, False, rows, None, "the last row's hash is not the recorded chain head"
        )
    return ChainReport(sid, rows, True)
