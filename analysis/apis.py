"""HTTP of the analysis app: media ingest, enrollment, the seed's /ai-monitoring endpoints."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import FileResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsReviewer
from exams.models import ExamSession
from exams.policy import DEFAULT_POLICY
from exams.selectors import session_for_user
from proctoring_site.exceptions import InvalidInputError, NotFoundError, PayloadTooLargeError
from proctoring_site.pagination import StandardPagination
from proctoring_site.schema import paginated

from . import selectors, services
from .analyze_gate import analyze_rate_limit_hit
from .models import Enrollment, MediaItem, MediaKind
from .serializers import (
    AnalyzeInputSerializer,
    AnalyzeOutputSerializer,
    AudioJsonInputSerializer,
    EnrollmentOutputSerializer,
    EnrollmentStatusInputSerializer,
    EnrollmentStatusOutputSerializer,
    FaceEnrollJsonInputSerializer,
    FrameJsonInputSerializer,
    MediaAcceptedOutputSerializer,
    MediaUploadInputSerializer,
    ResultFilterSerializer,
    ResultOutputSerializer,
    StatsFilterSerializer,
    UploadInputSerializer,
    VoiceEnrollJsonInputSerializer,
)

FRAME_FIELDS = ("frame", "image", "file")
AUDIO_FIELDS = ("audio", "chunk", "file")
# The thin path: the media itself is the body (session_id and captured_at in the query), so
# no multipart parsing; the exam page uploads this way. The checks are the service's, as ever.
RAW_TYPES = {
    MediaKind.FRAME: ("image/jpeg", "image/png"),
    MediaKind.AUDIO: ("audio/wav", "audio/x-wav", "audio/wave"),
}


def _is_multipart(request: Request) -> bool:
    return (request.content_type or "").startswith("multipart/")


def _own_session(request: Request, session_id: Any) -> ExamSession:
    """The caller's own session: media and enrollments come only from the candidate."""
    session = session_for_user(user=request.user, session_id=session_id)
    if session.candidate_id != request.user.pk:
        raise NotFoundError("No such session.")
    return session


def _read_upload(upload: Any, limit: int) -> bytes:
    if upload.size is not None and upload.size > limit:
        raise PayloadTooLargeError(
            f"The file is {upload.size} bytes; the limit is {limit} bytes.",
            code="media_too_large",
            details={"limit": limit, "size": upload.size},
        )
    return upload.read()


def _file_from(request: Request, names: tuple[str, ...], limit: int) -> bytes:
    for name in names:
        upload = request.FILES.get(name)
        if upload is not None:
            return _read_upload(upload, limit)
    raise InvalidInputError(
        f"Attach the media as one of the multipart fields: {', '.join(names)}.",
        code="missing_media",
    )


def _upload(request: Request, kind: str) -> Response:
    if kind == MediaKind.FRAME:
        names, limit, json_field = FRAME_FIELDS, settings.ANALYSIS_FRAME_MAX_BYTES, "image"
        json_serializer: Any = FrameJsonInputSerializer
    else:
        names, limit, json_field = AUDIO_FIELDS, settings.ANALYSIS_AUDIO_MAX_BYTES, "audio"
        json_serializer = AudioJsonInputSerializer
    if (request.content_type or "").split(";")[0].strip() in RAW_TYPES[kind]:
        serializer = MediaUploadInputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        session = _own_session(request, serializer.validated_data["session_id"])
        data = request.body
        if len(data) > limit:
            raise PayloadTooLargeError(
                f"The file is {len(data)} bytes; the limit is {limit} bytes.",
                code="media_too_large",
                details={"limit": limit, "size": len(data)},
            )
    elif _is_multipart(request):
        serializer = MediaUploadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = _own_session(request, serializer.validated_data["session_id"])
        data = _file_from(request, names, limit)
    else:
        serializer = json_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session = _own_session(request, serializer.validated_data["session_id"])
        data = serializer.validated_data[json_field]
    accepted = services.media_ingest(
        session=session,
        kind=kind,
        data=data,
        captured_at=serializer.validated_data.get("captured_at"),
        client_id=serializer.validated_data.get("client_id", ""),
    )
    body = MediaAcceptedOutputSerializer(
        accepted.media, context={"duplicate": accepted.duplicate}
    ).data
    # 200 for a resend already stored (nothing new queued), 202 for a new upload.
    code = status.HTTP_200_OK if accepted.duplicate else status.HTTP_202_ACCEPTED
    return Response(body, status=code)


class FrameUploadApi(APIView):
    """POST /api/monitoring/frames: one webcam frame (JPEG/PNG), analyzed in the background."""

    @extend_schema(
        request=FrameJsonInputSerializer,
        responses={202: MediaAcceptedOutputSerializer, 200: MediaAcceptedOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        return _upload(request, MediaKind.FRAME)


class AudioUploadApi(APIView):
    """POST /api/monitoring/audio: one 16 kHz mono PCM16 WAV chunk, analyzed in the background."""

    @extend_schema(
        request=AudioJsonInputSerializer,
        responses={202: MediaAcceptedOutputSerializer, 200: MediaAcceptedOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        return _upload(request, MediaKind.AUDIO)


class FaceEnrollApi(APIView):
    """POST /api/monitoring/enroll/face: several frames of the candidate -> identity template."""

    @extend_schema(
        request=FaceEnrollJsonInputSerializer, responses={201: EnrollmentOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        limit = settings.ANALYSIS_FRAME_MAX_BYTES
        if _is_multipart(request):
            serializer = UploadInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            names = (*FRAME_FIELDS, "images")
            uploads = [u for name in names for u in request.FILES.getlist(name)]
            images = [_read_upload(upload, limit) for upload in uploads]
        else:
            serializer = FaceEnrollJsonInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            images = serializer.validated_data["images"]
        session = _own_session(request, serializer.validated_data["session_id"])
        enrollment = services.enrollment_face_create(session=session, images=images)
        return Response(EnrollmentOutputSerializer(enrollment).data, status=status.HTTP_201_CREATED)


class EnrollStatusApi(APIView):
    """GET /api/monitoring/enroll/status?session_id=: which identity templates the session has.

    A candidate who rejoins a session (a new tab, another browser) is not asked to enrol
    again when both are there, unless the exam's policy says ``reenroll_on_rejoin``.
    """

    @extend_schema(responses={200: EnrollmentStatusOutputSerializer})
    def get(self, request: Request) -> Response:
        serializer = EnrollmentStatusInputSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        session = _own_session(request, serializer.validated_data["session_id"])
        kinds = set(selectors.enrollment_kinds(session=session))
        policy = session.policy
        needed = {Enrollment.Kind.FACE} if policy.get("identity_checks", True) else set()
        if policy.get("voice_checks", True):
            needed.add(Enrollment.Kind.VOICE)
        data = {
            "face": Enrollment.Kind.FACE in kinds,
            "voice": Enrollment.Kind.VOICE in kinds,
            "complete": needed <= kinds,
            "reenroll_on_rejoin": bool(policy.get("reenroll_on_rejoin", False)),
        }
        return Response(EnrollmentStatusOutputSerializer(data).data)


class VoiceEnrollApi(APIView):
    """POST /api/monitoring/enroll/voice: the candidate reading a sentence -> voice print."""

    @extend_schema(
        request=VoiceEnrollJsonInputSerializer, responses={201: EnrollmentOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        if _is_multipart(request):
            serializer = UploadInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = _file_from(request, AUDIO_FIELDS, settings.ANALYSIS_AUDIO_MAX_BYTES)
        else:
            serializer = VoiceEnrollJsonInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data["audio"]
        session = _own_session(request, serializer.validated_data["session_id"])
        enrollment = services.enrollment_voice_create(session=session, data=data)
        return Response(EnrollmentOutputSerializer(enrollment).data, status=status.HTTP_201_CREATED)


class AnalyzeApi(APIView):
    """POST /api/ai-monitoring/analyze: synchronous analysis for tools and tests; stores nothing."""

    @extend_schema(request=AnalyzeInputSerializer, responses={200: AnalyzeOutputSerializer})
    def post(self, request: Request) -> Response:
        analyze_rate_limit_hit(user=request.user)
        serializer = AnalyzeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        policy = dict(DEFAULT_POLICY)
        if data.get("session_id"):
            policy = session_for_user(user=request.user, session_id=data["session_id"]).policy
        outcome = services.payload_analyze(
            image=data.get("image"),
            audio=data.get("audio"),
            events=data.get("events", []),
            policy=policy,
        )
        return Response(AnalyzeOutputSerializer(outcome).data)


class ResultListApi(APIView):
    """GET /api/ai-monitoring/results: per-item results, filtered and paginated."""

    @extend_schema(
        parameters=[ResultFilterSerializer], responses={200: paginated(ResultOutputSerializer)}
    )
    def get(self, request: Request) -> Response:
        filters = ResultFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = filters.validated_data
        results = selectors.results_for_user(
            user=request.user,
            session_id=params.get("session"),
            label=params.get("label"),
            kind=params.get("kind"),
            status=params.get("status"),
            since=params.get("since"),
            until=params.get("until"),
        )
        paginator = StandardPagination()
        page = paginator.paginate_queryset(results, request, view=self)
        return paginator.get_paginated_response(ResultOutputSerializer(page, many=True).data)


class StatsApi(APIView):
    """GET /api/ai-monitoring/stats: label counts and risk, overall and per exam (reviewers)."""

    permission_classes = [IsReviewer]

    @extend_schema(parameters=[StatsFilterSerializer], responses={200: dict})
    def get(self, request: Request) -> Response:
        filters = StatsFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        params = filters.validated_data
        return Response(
            selectors.analysis_stats(
                exam_id=params.get("exam"), since=params.get("since"), until=params.get("until")
            )
        )


class MediaFileApi(APIView):
    """GET /api/ai-monitoring/media/<id>: a retained frame or clip (reviewers only)."""

    permission_classes = [IsReviewer]

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, media_id: int) -> FileResponse:
        media = MediaItem.objects.filter(pk=media_id).first()
        if media is None or not media.has_file:
            raise NotFoundError("No such media, or it was deleted under the retention policy.")
        response = FileResponse(media.file.open("rb"), content_type=media.content_type)
        response["Cache-Control"] = "private, no-store"
        return response
