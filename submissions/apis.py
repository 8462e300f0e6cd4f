"""HTTP for code submissions: submit a version, list them, final submit."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsCandidate, IsReviewer
from exams.models import Problem
from exams.selectors import session_for_user
from monitoring.parsers import NestingSafeJSONParser
from proctoring_site.exceptions import NotFoundError
from proctoring_site.pagination import StandardPagination
from proctoring_site.schema import paginated

from . import services
from .parsers import RawTextMultiPartParser
from .reports import similarity_match_as_dict
from .selectors import similarity_match_list, submission_list
from .serializers import (
    FinalSubmitInputSerializer,
    FinalSubmitOutputSerializer,
    SimilarityMatchFilterSerializer,
    SimilarityMatchOutputSerializer,
    SubmissionFilterSerializer,
    SubmissionOutputSerializer,
    SubmissionWithCodeOutputSerializer,
    SubmitInputSerializer,
)


class SubmitApi(APIView):
    """A candidate saves a new version of their code for a problem of their running session."""

    permission_classes = [IsCandidate]
    # No urlencoded form parser: it would replace bytes that are not UTF-8 without telling.
    parser_classes = [NestingSafeJSONParser, RawTextMultiPartParser]

    @extend_schema(request=SubmitInputSerializer, responses={201: SubmissionOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = SubmitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        session = session_for_user(user=request.user, session_id=data["session_id"])
        submission = services.submission_create(
            session=session,
            problem_id=data["problem_id"],
            code=data["code"],
            language=data.get("language"),
        )
        return Response(SubmissionOutputSerializer(submission).data, status=status.HTTP_201_CREATED)


class _SubmissionListBase(APIView):
    pagination_class = StandardPagination

    def _list(self, request: Request, **fixed: object) -> Response:
        params = SubmissionFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = {**params.validated_data, **fixed}
        # The selector limits a candidate to their own rows; a filter naming someone else's
        # candidate or session then simply finds nothing.
        queryset = submission_list(user=request.user, filters=filters)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        output = (
            SubmissionWithCodeOutputSerializer
            if filters.get("include_code")
            else SubmissionOutputSerializer
        )
        return paginator.get_paginated_response(output(page, many=True).data)


class SubmissionListApi(_SubmissionListBase):
    """Candidates: their own submissions. Proctors and admins: all, filtered by the query."""

    @extend_schema(
        parameters=[SubmissionFilterSerializer],
        responses={200: paginated(SubmissionOutputSerializer)},
    )
    def get(self, request: Request) -> Response:
        return self._list(request)


class ProblemSubmissionListApi(_SubmissionListBase):
    """The versions submitted for one problem, with their code."""

    @extend_schema(
        operation_id="api_submissions_submissions_for_problem",
        parameters=[SubmissionFilterSerializer],
        responses={200: paginated(SubmissionWithCodeOutputSerializer)},
    )
    def get(self, request: Request, problem_id: int) -> Response:
        if not Problem.objects.filter(pk=problem_id).exists():
            raise NotFoundError("No such problem.")
        return self._list(request, problem_id=problem_id, include_code=True)


class FinalSubmitApi(APIView):
    """A candidate hands in: the session becomes submitted; repeating it answers the same."""

    permission_classes = [IsCandidate]
    parser_classes = [NestingSafeJSONParser]

    @extend_schema(request=FinalSubmitInputSerializer, responses={200: FinalSubmitOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = FinalSubmitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = session_for_user(
            user=request.user, session_id=serializer.validated_data["session_id"]
        )
        session = services.session_final_submit(session=session, actor=request.user)
        return Response(FinalSubmitOutputSerializer(session).data)


class SimilarityMatchListApi(APIView):
    """Proctors and admins: the copied-code pairs found, highest score first, with regions."""

    permission_classes = [IsReviewer]

    @extend_schema(
        parameters=[SimilarityMatchFilterSerializer],
        responses={200: paginated(SimilarityMatchOutputSerializer)},
    )
    def get(self, request: Request) -> Response:
        params = SimilarityMatchFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        queryset = similarity_match_list(filters=params.validated_data)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(
            [
                {
                    **similarity_match_as_dict(match),
                    "exam_id": match.exam_id,
                    "problem_id": match.problem_id,
                    "created_at": match.created_at,
                }
                for match in page
            ]
        )
