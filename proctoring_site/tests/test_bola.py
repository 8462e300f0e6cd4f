"""Broken object-level authorization, probed from the URL configuration itself.

Every named route that takes a parameter is collected from the root URLconf, so a new route is
probed without anyone adding it here. Each is called with the ids of candidate Alice's own
objects, with every method its view answers, by another candidate (Bob), anonymously, and, on
staff routes, by Alice herself. Nothing may succeed that should not, no answer may carry
Alice's data, and Alice's session must come out unchanged. A parameter name this test does not
know fails it, so the mapping below grows with the routes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from conftest import access_token_for

pytestmark = pytest.mark.django_db
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    name: str
    params: tuple[str, ...]
    callback: Any

    @property
    def is_admin(self) -> bool:
        return self.name.startswith("admin:")

    @property
    def view_class(self) -> Any:
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @property
    def is_staff_route(self) -> bool:
        from accounts.permissions import IsReviewer

        if self.is_admin:
            return True
        return any(
            isinstance(p, type) and issubclass(p, IsReviewer)
            for p in getattr(self.view_class, "permission_classes", [])
        )

    def methods(self) -> list[str]:
        view = self.view_class
        if view is None:
            return ["get", "post"]
        return [m for m in METHODS if hasattr(view, m)]


def _params_of(pattern: Any) -> tuple[str, ...]:
    converters = getattr(pattern, "converters", None)
    if converters:
        return tuple(converters)
    regex = getattr(pattern, "regex", None)
    return tuple(regex.groupindex) if regex is not None else ()


def _all_routes() -> Iterator[Route]:
    def walk(patterns, namespace: tuple[str, ...], params: tuple[str, ...]):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = namespace + ((entry.namespace,) if entry.namespace else ())
                yield from walk(entry.url_patterns, inner, params + _params_of(entry.pattern))
            elif isinstance(entry, URLPattern) and entry.name:
                all_params = params + _params_of(entry.pattern)
                yield Route(":".join((*namespace, entry.name)), all_params, entry.callback)

    yield from walk(get_resolver().url_patterns, (), ())


def routes_with_parameters() -> Iterator[Route]:
    return (route for route in _all_routes() if route.params)


def api_routes_without_parameters() -> Iterator[Route]:
    """API routes whose object ids travel in the query string or the body."""
    for route in _all_routes():
        if not route.params and reverse(route.name).startswith("/api/"):
            yield route


@pytest.fixture
def world(candidate, other_candidate, proctor, exam, start_session):
    """Alice's objects of every kind a route can name; Bob has none."""
    from analysis.tests.factories import frame_result, t0
    from monitoring.services.reports import incident_report
    from submissions.services import submission_create

    session, token = start_session(candidate, exam)
    result = frame_result(session, 5, labels=["no_face"])
    incident = incident_report(
        session=session,
        reporter=candidate,
        kind="tab_hidden",
        severity="low",
        started_at=t0(session),
        details={"why": "probe"},
    )
    submission = submission_create(
        session=session, problem_id=exam.problems.first().pk, code="print('alice-secret')\n"
    )
    return {
        "session": session,
        "token": token,
        "media": result.media,
        "incident": incident,
        "submission": submission,
    }


def _admin_object_id(route: Route, world: dict) -> str:
    if route.name == "admin:view_on_site":
        return str(world["session"].pk)
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if route.name.startswith(prefix):
            by_model = {
                "examsession": world["session"].pk,
                "mediaitem": world["media"].pk,
                "incident": world["incident"].pk,
                "codesubmission": world["submission"].pk,
            }
            if model._meta.model_name in by_model:
                return str(by_model[model._meta.model_name])
            first = model._default_manager.order_by("pk").first()
            return str(first.pk) if first is not None else "1"
    raise AssertionError(f"no admin model for {route.name}")


def _kwargs(route: Route, world: dict) -> dict[str, Any]:
    session = world["session"]
    known = {
        "session_id": session.pk,
        "session_token": world["token"],
        "candidate_id": session.candidate_id,
        "media_id": world["media"].pk,
        "problem_id": world["submission"].problem_id,
        "kind": "frame",
        "pk": world["media"].pk,
        "app_label": "exams",
        "id": session.candidate_id,  # the admin's password change for a user
        "content_type_id": ContentType.objects.get_for_model(session).pk,
    }
    kwargs = {}
    for name in route.params:
        if name == "object_id":
            kwargs[name] = _admin_object_id(route, world)
        elif name in known:
            kwargs[name] = known[name]
        else:
            raise AssertionError(
                f"{route.name} takes {name!r}: map it to one of Alice's objects in _kwargs"
            )
    return kwargs


def _secrets(world: dict) -> list[str]:
    session = world["session"]
    return [
        str(session.pk),
        world["token"],
        session.candidate.email,
        "alice-secret",
        "probe",
    ]


def _client(who: str, users: dict):
    if who == "anonymous":
        return APIClient()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(users[who])}")
    return client


def test_no_route_leaks_another_candidates_objects(world, candidate, other_candidate) -> None:
    session = world["session"]
    before = (session.status, session.ended_at)
    users = {"bob": other_candidate, "alice": candidate}
    probes: Counter[str] = Counter()
    leaks: list[str] = []
    routes = list(routes_with_parameters())
    assert len(routes) > 30  # the walk found the project's routes

    for route in routes:
        url = reverse(route.name, kwargs=_kwargs(route, world))
        callers = ["bob", "anonymous"] + (["alice"] if route.is_staff_route else [])
        for who in callers:
            for method in route.methods():
                if route.is_admin:
                    client = Client()
                    if who != "anonymous":
                        client.force_login(users[who])
                    response = getattr(client, method)(url)
                else:
                    response = getattr(_client(who, users), method)(url, {}, format="json")
                probes[who] += 1
                status = response.status_code
                body = b"" if response.streaming else response.content
                label = f"{who} {method.upper()} {url} -> {status}"
                if status >= 500:
                    leaks.append(f"server error: {label}")
                if who == "anonymous" or route.is_staff_route:
                    if 200 <= status < 300:
                        leaks.append(f"allowed: {label}")
                    if route.is_admin and status == 302:
                        assert "/admin/login/" in response["Location"], label
                if response.streaming and 200 <= status < 300:
                    leaks.append(f"file served: {label}")
                for secret in _secrets(world):
                    if secret.encode() in body:
                        leaks.append(f"carries {secret!r}: {label}")

    session.refresh_from_db()
    assert (session.status, session.ended_at) == before
    total = sum(probes.values())
    print(f"BOLA: {total} probes over {len(routes)} routes {dict(probes)}")  # noqa: T201
    assert not leaks, "\n".join(leaks)


def test_ids_in_query_strings_and_bodies_leak_nothing(world, candidate, other_candidate) -> None:
    session = world["session"]
    before = (session.status, session.ended_at)
    ids = {
        "session_id": str(session.pk),
        "session": str(session.pk),
        "candidate_id": session.candidate_id,
        "candidate": session.candidate_id,
        "exam_id": session.exam_id,
        "exam": session.exam_id,
        "problem_id": world["submission"].problem_id,
    }
    users = {"bob": other_candidate}
    leaks: list[str] = []
    probes = 0
    routes = list(api_routes_without_parameters())
    assert len(routes) > 15
    for route in routes:
        url = reverse(route.name)
        for who in ("bob", "anonymous"):
            for method in route.methods():
                client = _client(who, users)
                if method == "get":
                    response = client.get(url, ids)
                else:
                    response = getattr(client, method)(url, ids, format="json")
                probes += 1
                label = f"{who} {method.upper()} {url} -> {response.status_code}"
                if response.status_code >= 500:
                    leaks.append(f"server error: {label}")
                public = url in {"/api/health/", "/api/schema/"}
                if who == "anonymous" and 200 <= response.status_code < 300 and not public:
                    leaks.append(f"allowed: {label}")
                body = b"" if response.streaming else response.content
                for secret in _secrets(world):
                    if secret.encode() in body:
                        leaks.append(f"carries {secret!r}: {label}")
    session.refresh_from_db()
    assert (session.status, session.ended_at) == before
    print(f"BOLA (query/body ids): {probes} probes over {len(routes)} routes")  # noqa: T201
    assert not leaks, "\n".join(leaks)
