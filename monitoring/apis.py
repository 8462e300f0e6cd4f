"""HTTP for monitoring: the page's events, reading logs, and reporting suspicious activity."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exams.models import ExamSession
from exams.selectors import session_for_user, session_require_active
from proctoring_site.exceptions import InvalidInputError, NotFoundError
from proctoring_site.schema import paginated

from . import services
from .ingest_pool import ingest_store
from .parsers import NestingSafeJSONParser
from .rate_limit import ingest_rate_limit_hit
from .selectors import logs_for_user
from .serializers import (
    EventBatchInputSerializer,
    EventInputSerializer,
    IncidentOutputSerializer,
    IngestResultSerializer,
    LogFilterInputSerializer,
    LogOutputSerializer,
    SuspiciousActivityInputSerializer,
)

# Kinds the exam page may not claim about itself: they are for proctors and the server.


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise InvalidInputError("The body must be a JSON object.", code="invalid")
    return request.data


def _own_active_session(request: Request, session_id: Any) -> ExamSession:
    """The requesting candidate's own session, still running (404 otherwise, 409 when ended)."""
    session = session_for_user(user=request.user, session_id=session_id)
    if session.candidate_id != request.user.pk:
        raise NotFoundError("No such session.")
    session_require_active(session)
    return session


class EventBatchApi(APIView):
    """``POST /api/monitoring/data``: a batch of the page's events."""

    parser_classes = [NestingSafeJSONParser]

    @extend_schema(request=EventBatchInputSerializer, responses={200: IngestResultSerializer})
    def post(self, request: Request) -> Response:
        serializer = EventBatchInputSerializer(data=_body(request))
        serializer.is_valid(raise_exception=True)
        session = _own_active_session(request, serializer.validated_data["session_id"])
        result = ingest_store(session=session, raw_events=serializer.validated_data["events"])
        return Response(IngestResultSerializer(result.as_dict()).data)


class EventLogApi(APIView):
    """``POST /api/monitoring/log``: one event (the same rules as a batch of one)."""

    parser_classes = [NestingSafeJSONParser]

    @extend_schema(request=EventInputSerializer, responses={201: IngestResultSerializer})
    def post(self, request: Request) -> Response:
        body = _body(request)
        serializer = EventInputSerializer(data=body)
        serializer.is_valid(raise_exception=True)
        session = _own_active_session(request, serializer.validated_data["session_id"])
        event = {key: value for key, value in body.items() if key != "session_id"}
        result = ingest_store(session=session, raw_events=[event])
        if result.rejected:
            rejection = result.rejected[0]
            raise InvalidInputError(
                rejection.message, code=rejection.code, details={"seq": rejection.seq}
            )
        code = status.HTTP_201_CREATED if result.accepted else status.HTTP_200_OK
        return Response(IngestResultSerializer(result.as_dict()).data, status=code)


class LogListApi(GenericAPIView):
    """``GET /api/monitoring/logs``: a candidate's own logs; any session's for reviewers."""

    serializer_class = LogOutputSerializer

    @extend_schema(
        parameters=[LogFilterInputSerializer], responses={200: paginated(LogOutputSerializer)}
    )
    def get(self, request: Request) -> Response:
        filters = LogFilterInputSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        logs = logs_for_user(
            user=request.user,
            session_id=data.get("session_id"),
            exam_id=data.get("exam_id"),
            types=data.get("type"),
            since=data.get("since"),
            until=data.get("until"),
        )
        page = self.paginate_queryset(logs)
        return self.get_paginated_response(LogOutputSerializer(page, many=True).data)


class SuspiciousActivityApi(APIView):
    """``POST /api/monitoring/suspicious-activity``: a proctor flags, or the page reports."""

    parser_classes = [NestingSafeJSONParser]

    @extend_schema(
        request=SuspiciousActivityInputSerializer, responses={201: IncidentOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        serializer = SuspiciousActivityInputSerializer(data=_body(request))
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if request.user.is_reviewer:
            session = session_for_user(user=request.user, session_id=data["session_id"])
        else:
            session = _own_active_session(request, data["session_id"])
            ingest_rate_limit_hit(session_id=session.pk, events=1)
        incident = services.incident_report(
            session=session,
            reporter=request.user,
            kind=data["kind"],
            severity=data["severity"],
            started_at=data.get("started_at"),
            ended_at=data.get("ended_at"),
            confidence=data["confidence"],
            details=data["details"],
            evidence=data["evidence"],
            note=data["note"],
        )
        return Response(IncidentOutputSerializer(incident).data, status=status.HTTP_201_CREATED)
