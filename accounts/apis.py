"""HTTP for accounts: register, login, refresh, logout, me."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from proctoring_site.exceptions import ApplicationError

from . import services
from .serializers import (
    LoginInputSerializer,
    LogoutInputSerializer,
    RefreshInputSerializer,
    RegisterInputSerializer,
    TokenPairSerializer,
    UserOutputSerializer,
)
from .utils import client_ip


class InvalidCredentialsError(ApplicationError):
    status_code = 401
    code = "invalid_credentials"


class RegisterApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=RegisterInputSerializer, responses={201: UserOutputSerializer})
    def post(self, request: Request) -> Response:
        serializer = RegisterInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.candidate_register(**serializer.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class LoginApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=LoginInputSerializer, responses={200: TokenPairSerializer})
    def post(self, request: Request) -> Response:
        serializer = LoginInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            pair = services.login(
                username=serializer.validated_data["username"],
                password=serializer.validated_data["password"],
                ip_address=client_ip(request),
            )
        except services.AuthenticationError:
            raise InvalidCredentialsError("Wrong username or password.") from None
        return Response({"access": pair.access, "refresh": pair.refresh})


class RefreshApi(APIView):
    """Exchange a refresh token for a new pair; the old refresh token is blacklisted."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=RefreshInputSerializer, responses={200: TokenPairSerializer})
    def post(self, request: Request) -> Response:
        serializer = RefreshInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pair = services.tokens_refresh(refresh=serializer.validated_data["refresh"])
        return Response({"access": pair.access, "refresh": pair.refresh})


class LogoutApi(APIView):
    @extend_schema(request=LogoutInputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        serializer = LogoutInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.logout(user=request.user, refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    @extend_schema(responses={200: UserOutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(request.user).data)
