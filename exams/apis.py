"""HTTP for candidates: start and end an exam, list exams, read their own session."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.utils import client_ip
from proctoring_site.exceptions import NotFoundError

from . import services
from .attempts import attempts_by_exam
from .models import Exam, Problem
from .selectors import session_for_user
from .serializers import (
    ExamListItemOutputSerializer,
    SessionOutputSerializer,
    SessionStartedOutputSerializer,
    StartExamInputSerializer,
)


def _exam_queryset():
    return Exam.objects.filter(is_published=True).prefetch_related(
        Prefetch("problems", queryset=Problem.objects.order_by("order", "pk"))
    )


class StartExamApi(APIView):
    @extend_schema(
        request=StartExamInputSerializer, responses={201: SessionStartedOutputSerializer}
    )
    def post(self, request: Request, candidate_id: int) -> Response:
        # A candidate may only start their own exam; someone else's id looks like no one.
        if request.user.pk != candidate_id or not request.user.is_candidate:
            raise NotFoundError("No such candidate.")
        serializer = StartExamInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        exam = _exam_queryset().filter(pk=serializer.validated_data["exam_id"]).first()
        if exam is None:
            raise NotFoundError("No such exam.")
        session, token = services.session_start(
            candidate=request.user,
            exam=exam,
            consent=serializer.validated_data["consent"],
            client_ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )
        session.session_token = token
        return Response(
            SessionStartedOutputSerializer(session).data, status=status.HTTP_201_CREATED
        )


class EndExamApi(APIView):
    @extend_schema(request=None, responses={200: SessionOutputSerializer})
    def post(self, request: Request, session_token: str) -> Response:
        session = services.session_get_by_token(candidate=request.user, token=session_token)
        session = services.session_end(session=session, actor=request.user)
        return Response(SessionOutputSerializer(session).data)


class ExamListApi(APIView):
    @extend_schema(responses={200: ExamListItemOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        exams = list(_exam_queryset())
        attempts = (
            attempts_by_exam(candidate=request.user, exams=exams)
            if request.user.is_candidate
            else {}
        )
        serializer = ExamListItemOutputSerializer(exams, many=True, context={"attempts": attempts})
        return Response(serializer.data)


class SessionDetailApi(APIView):
    @extend_schema(responses={200: SessionOutputSerializer})
    def get(self, request: Request, session_id: str) -> Response:
        session = session_for_user(user=request.user, session_id=session_id)
        return Response(SessionOutputSerializer(session).data)


class SessionConsentApi(APIView):
    @extend_schema(request=None, responses={200: SessionOutputSerializer})
    def post(self, request: Request, session_id: str) -> Response:
        session = session_for_user(user=request.user, session_id=session_id)
        if session.candidate_id != request.user.pk:
            raise NotFoundError("No such session.")
        session = services.session_consent_record(session=session)
        return Response(SessionOutputSerializer(session).data)


class SessionOpenProblemsApi(APIView):
    """POST: the candidate's page shows the problems now; the exam's clock starts (once)."""

    @extend_schema(request=None, responses={200: SessionOutputSerializer})
    def post(self, request: Request, session_id: str) -> Response:
        session = session_for_user(user=request.user, session_id=session_id)
        if session.candidate_id != request.user.pk:
            raise NotFoundError("No such session.")
        session = services.session_problems_open(session=session)
        return Response(SessionOutputSerializer(session).data)
