"""HTTP for proctors and admins: statistics, candidates, sessions, termination."""

from __future__ import annotations

from django.db.models import Count, Q
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import IsReviewer
from exams import services
from exams.lifecycle import ACTIVE_STATUSES
from exams.models import ExamSession
from proctoring_site.exceptions import NotFoundError

from .dashboard.stats import system_stats
from .serializers import (
    AdminCandidateOutputSerializer,
    AdminSessionFilterSerializer,
    AdminSessionOutputSerializer,
    TerminateInputSerializer,
)


class StatsApi(APIView):
    permission_classes = [IsReviewer]

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response(system_stats())


class CandidateListApi(ListAPIView):
    permission_classes = [IsReviewer]
    serializer_class = AdminCandidateOutputSerializer

    def get_queryset(self):
        queryset = (
            User.objects.filter(role=User.Role.CANDIDATE)
            .select_related("candidate_profile")
            .annotate(
                session_count=Count("exam_sessions"),
                active_session_count=Count(
                    "exam_sessions", filter=Q(exam_sessions__status__in=ACTIVE_STATUSES)
                ),
            )
            .order_by("pk")
        )
        query = self.request.query_params.get("q", "").strip()
        if query:
            queryset = queryset.filter(
                Q(username__icontains=query)
                | Q(email__icontains=query)
                | Q(candidate_profile__full_name__icontains=query)
            )
        return queryset


class SessionListApi(ListAPIView):
    permission_classes = [IsReviewer]
    serializer_class = AdminSessionOutputSerializer

    def get_queryset(self):
        filters = AdminSessionFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = ExamSession.objects.select_related(
            "candidate__candidate_profile", "exam", "risk"
        ).prefetch_related("transitions__actor")
        if "status" in filters.validated_data:
            queryset = queryset.filter(status=filters.validated_data["status"])
        if "exam" in filters.validated_data:
            queryset = queryset.filter(exam_id=filters.validated_data["exam"])
        return queryset.order_by("-created_at", "pk")


class TerminateSessionApi(APIView):
    permission_classes = [IsReviewer]

    @extend_schema(request=TerminateInputSerializer, responses={200: AdminSessionOutputSerializer})
    def post(self, request: Request, session_id: str) -> Response:
        serializer = TerminateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = ExamSession.objects.filter(pk=session_id).first()
        if session is None:
            raise NotFoundError("No such session.")
        session = services.session_terminate(
            session=session, actor=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(AdminSessionOutputSerializer(session).data)
