from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from monitoring.chain import chain_verify
from monitoring.models import MonitoringLog

from .conftest import event

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_session(candidate, session, post_batch):
    post_batch(candidate, session, [event(1), event(2, "paste", size=12.0), event(3)])
    post_batch(candidate, session, [event(5, "tab_hidden"), event(4, "copy", text="é ü")])
    return session


def test_intact_chain_passes(logged_session, capsys) -> None:
    report = chain_verify(logged_session.pk)
    assert report.ok
    assert report.rows == 5
    call_command("verify_log_chain", "--session", str(logged_session.pk))
    assert "1 session chains intact (5 rows)" in capsys.readouterr().out


def test_chain_follows_arrival_order(logged_session) -> None:
    logs = list(MonitoringLog.objects.filter(session=logged_session).order_by("chain_index"))
    assert [log.seq for log in logs] == [1, 2, 3, 4, 5]
    assert [log.chain_index for log in logs] == [1, 2, 3, 4, 5]
    assert all(
        later.prev_hash == earlier.hash for earlier, later in zip(logs, logs[1:], strict=False)
    )


def test_edited_row_is_detected(logged_session, capsys) -> None:
    MonitoringLog.objects.filter(session=logged_session, seq=2).update(payload={"size": 1})
    report = chain_verify(logged_session.pk)
    assert not report.ok
    assert report.seq == 2
    assert "edited" in report.reason
    with pytest.raises(CommandError):
        call_command("verify_log_chain", "--session", str(logged_session.pk))
    assert "seq 2" in capsys.readouterr().err


def test_edited_type_is_detected(logged_session) -> None:
    MonitoringLog.objects.filter(session=logged_session, seq=5).update(type="tab_visible")
    assert not chain_verify(logged_session.pk).ok


def test_deleted_row_is_detected(logged_session) -> None:
    MonitoringLog.objects.filter(session=logged_session, seq=3).delete()
    report = chain_verify(logged_session.pk)
    assert not report.ok
    assert report.chain_index == 4
    assert "deleted" in report.reason
    with pytest.raises(CommandError):
        call_command("verify_log_chain")


def test_deleted_last_row_is_detected(logged_session) -> None:
    MonitoringLog.objects.filter(session=logged_session, chain_index=5).delete()
    report = chain_verify(logged_session.pk)
    assert not report.ok
    assert "end" in report.reason


def test_command_exit_status_from_a_shell(logged_session) -> None:
    # CommandError becomes exit status 1 when run as `manage.py verify_log_chain`.
    from django.core.management import ManagementUtility

    MonitoringLog.objects.filter(session=logged_session, seq=1).update(seq=99)
    utility = ManagementUtility(["manage.py", "verify_log_chain"])
    with pytest.raises(SystemExit) as exit_info:
        utility.execute()
    assert exit_info.value.code == 1
