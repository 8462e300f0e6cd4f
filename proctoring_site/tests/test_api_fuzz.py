"""Schemathesis over every API operation against a live server, as a candidate and a proctor.

Requests come from the OpenAPI schema the project serves (generated in-process, the same
document as ``/api/schema/``), with a fixed seed (``derandomize``) so a run is repeatable.
Every response must not be a server error and must conform to the schema: a documented status
code, the documented content type, a body that matches the documented shape.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest

pytestmark = pytest.mark.fuzz

# Examples per operation and user; CI's total is printed and asserted below (>= 1,000).
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
MIN_REQUESTS = int(os.environ.get("FUZZ_MIN_REQUESTS", "1000"))


def _schema_document() -> dict[str, Any]:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _fresh_bearer(user) -> dict[str, str]:
    """A valid token for each request: a fuzzed logout or terminate must not blind the rest."""
    from accounts.tokens import RevocableRefreshToken

    user.refresh_from_db()
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return {"Authorization": f"Bearer {RevocableRefreshToken.for_user(user).access_token}"}


def _twisted_multipart_refusal(response) -> bool:
    """Twisted (under daphne) parses multipart bodies itself and answers a body it cannot parse
    with a bare ``400`` (no headers, no body) before Django sees the request. It is a clear
    4xx, but not ours to shape; counted and printed apart rather than failed."""
    return (
        response.status_code == 400
        and not response.content
        and "content-type" not in {name.lower() for name in response.headers}
    )


@pytest.mark.django_db(transaction=True)
def test_no_server_error_and_schema_conformance(
    live_asgi_server, candidate, proctor, exam, start_session, settings
) -> None:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import settings as hypothesis_settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    start_session(candidate, exam)
    schema = schemathesis.openapi.from_dict(_schema_document())
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    requests_sent: Counter[str] = Counter()
    front_refusals: Counter[str] = Counter()
    failures: dict[str, set[str]] = {}

    def fuzz(operation, user) -> None:
        label = f"{operation.method.upper()} {operation.path}"

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case) -> None:
            response = case.call(
                base_url=live_asgi_server.url, headers=_fresh_bearer(user), timeout=60
            )
            requests_sent[user.username] += 1
            if _twisted_multipart_refusal(response):
                front_refusals[label] += 1
                return
            try:
                case.validate_response(response, checks=checks)
            except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - reported below
                found = getattr(failure, "exceptions", None) or [failure]
                for one in found:
                    lines = [line.strip() for line in str(one).splitlines() if line.strip()]
                    failures.setdefault(label, set()).add(
                        f"{user.username} {response.status_code}: {' | '.join(lines[:3])}"
                        f"\n    {case.as_curl_command()[:400]}"
                    )

        run()

    only = os.environ.get("FUZZ_ONLY", "")  # a path fragment, to rerun one operation
    for user in (candidate, proctor):
        for result in schema.get_all_operations():
            operation = result.ok()
            if only in operation.path:
                fuzz(operation, user)

    total = sum(requests_sent.values())
    print(  # noqa: T201
        f"schemathesis: {total} requests {dict(requests_sent)}; "
        f"refused by daphne's HTTP layer before Django: {dict(front_refusals)}"
    )
    report = "\n".join(f"{op}\n  " + "\n  ".join(sorted(msgs)) for op, msgs in failures.items())
    assert not failures, f"{len(failures)} operations failed:\n{report}"
    assert total >= MIN_REQUESTS
    assert "Traceback" not in live_asgi_server.log()
