"""Writes for accounts: registration, sign-in with brute-force lockout, proctor creation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from proctoring_site.exceptions import (
    ApplicationError,
    ConflictError,
    InvalidInputError,
    PermissionDeniedError,
    RateLimitedError,
)

from .models import CandidateProfile, LoginThrottle, User
from .tokens import RevocableRefreshToken, token_revoked_reason

logger = logging.getLogger(__name__)

PROCTORS_GROUP = "Proctors"


class AuthenticationError(Exception):
    """Wrong username or password (kept vague on purpose)."""


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


@transaction.atomic
def candidate_register(
    *,
    username: str,
    email: str,
    password: str,
    full_name: str,
    institution: str = "",
    external_id: str = "",
    phone: str = "",
) -> User:
    """Create a candidate account with its profile. Duplicate username/email -> ConflictError."""
    if User.objects.filter(username__iexact=username).exists():
        raise ConflictError("This username is taken.", code="username_taken")
    if User.objects.filter(email__iexact=email).exists():
        raise ConflictError("An account with this email exists.", code="email_taken")
    try:
        user = User.objects.create_user(
            username=username, email=email, password=password, role=User.Role.CANDIDATE
        )
    except IntegrityError as exc:  # a concurrent registration won the race
        raise ConflictError("This username or email is taken.", code="username_taken") from exc
    CandidateProfile.objects.create(
        user=user,
        full_name=full_name,
        institution=institution,
        external_id=external_id,
        phone=phone,
    )
    logger.info("candidate registered: user_id=%s", user.pk)
    return user


@transaction.atomic
def proctor_create(*, username: str, email: str, password: str, admin: bool = False) -> User:
    """Create (or update) a proctor: staff, in the Proctors group. ``admin`` makes a superuser."""
    user, created = User.objects.get_or_create(
        username=username, defaults={"email": email, "role": User.Role.PROCTOR}
    )
    user.email = email
    user.role = User.Role.ADMIN if admin else User.Role.PROCTOR
    user.is_staff = True
    user.is_superuser = admin
    user.set_password(password)
    user.save()
    group, _ = Group.objects.get_or_create(name=PROCTORS_GROUP)
    user.groups.add(group)
    logger.info("proctor %s: user_id=%s", "created" if created else "updated", user.pk)
    return user


def _throttle_for(username: str, ip_address: str) -> LoginThrottle:
    throttle, _ = LoginThrottle.objects.get_or_create(
        username=username.lower()[:150], ip_address=ip_address[:45]
    )
    return throttle


def _reserve_attempt(throttle: LoginThrottle) -> None:
    """Take one of the allowed attempts atomically, or raise RateLimitedError.

    The counter is raised *before* the password is checked with a conditional UPDATE, so a
    burst of concurrent attempts can never evaluate more passwords than the limit allows.
    """
    now = timezone.now()
    limit = settings.LOGIN_FAILURE_LIMIT
    window = timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    rows = LoginThrottle.objects.filter(pk=throttle.pk)
    # A finished lockout, or failures long ago, start a fresh count.
    rows.filter(locked_until__lte=now).update(failures=0, locked_until=None)
    rows.filter(locked_until__isnull=True, last_failure_at__lt=now - window).update(failures=0)
    if rows.filter(failures__lt=limit).update(failures=F("failures") + 1, last_failure_at=now):
        return
    throttle.refresh_from_db()
    if throttle.locked_until is None:
        rows.filter(locked_until__isnull=True).update(locked_until=now + window)
        throttle.refresh_from_db()
    retry_after = (throttle.locked_until - now).total_seconds() if throttle.locked_until else 1
    raise RateLimitedError(
        "Too many failed sign-ins. Try again later.",
        code="login_locked",
        retry_after=int(retry_after) + 1,
    )


def login(*, username: str, password: str, ip_address: str) -> TokenPair:
    """Check the credentials (``credentials_check``) and return a JWT pair."""
    user = credentials_check(username=username, password=password, ip_address=ip_address)
    logger.info("sign-in: user_id=%s ip=%s", user.pk, ip_address)
    return _pair_for(user)


def credentials_check(*, username: str, password: str, ip_address: str) -> User:
    """The one sign-in policy, for both doors (the API's login and the admin's login form).

    Raises RateLimitedError after LOGIN_FAILURE_LIMIT failures for this username from this
    address (for LOGIN_LOCKOUT_SECONDS, the correct password included) and
    AuthenticationError for wrong credentials. The password is never logged.
    """
    throttle = _throttle_for(username, ip_address)
    _reserve_attempt(throttle)
    user = authenticate(username=username, password=password)
    rows = LoginThrottle.objects.filter(pk=throttle.pk)
    if user is None or not user.is_active:
        throttle.refresh_from_db()
        if throttle.failures >= settings.LOGIN_FAILURE_LIMIT:
            lock_until = timezone.now() + timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
            rows.filter(locked_until__isnull=True).update(locked_until=lock_until)
        # Never the username as typed: people type their password into it. A known username
        # is logged as its user id.
        known = User.objects.filter(username__iexact=username).values_list("pk", flat=True)
        logger.warning(
            "failed sign-in: user_id=%s ip=%s failures=%s",
            known.first() or "unknown",
            ip_address,
            throttle.failures,
        )
        raise AuthenticationError
    rows.update(failures=0, locked_until=None, last_failure_at=None)
    return user


def login_throttles_unlock(*, throttles: Any, actor: User) -> int:
    """The one unlock path: an admin clears lockouts (and failure counts) before they expire."""
    count = throttles.update(failures=0, locked_until=None, last_failure_at=None)
    logger.info("sign-in lockouts cleared: %s by user_id=%s", count, actor.pk)
    return count


def _pair_for(user: User) -> TokenPair:
    refresh = RevocableRefreshToken.for_user(user)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


class TokenRefusedError(ApplicationError):
    status_code = 401
    code = "token_not_valid"


def _refresh_token_parse(
    raw: str, error: type[ApplicationError] = TokenRefusedError
) -> RevocableRefreshToken:
    try:
        return RevocableRefreshToken(raw)
    except TokenError as exc:
        raise error(str(exc), code="token_not_valid") from None


def tokens_refresh(*, refresh: str) -> TokenPair:
    """Exchange a refresh token for a new pair, exactly once.

    The used token is blacklisted in the same transaction that issues the new pair, under a
    row lock on its OutstandingToken row and the blacklist's one-row-per-token constraint, so
    of N concurrent refreshes with one token exactly one succeeds (SimpleJWT's own view checks
    the blacklist and writes it in two steps, which let 64 of 200 through on PostgreSQL).
    """
    token = _refresh_token_parse(refresh)
    user = User.objects.filter(pk=token.get(jwt_settings.USER_ID_CLAIM)).first()
    if user is None or token_revoked_reason(token, user) is not None:
        raise TokenRefusedError("This token has been revoked.", code="token_revoked")
    try:
        with transaction.atomic():
            outstanding = OutstandingToken.objects.select_for_update().get(jti=token["jti"])
            _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
            if not created:
                raise TokenRefusedError("Token is blacklisted", code="token_not_valid")
    except (OutstandingToken.DoesNotExist, IntegrityError):
        raise TokenRefusedError("Token is blacklisted", code="token_not_valid") from None
    return _pair_for(user)


def user_tokens_revoke(*, user: User, reason: str) -> None:
    """Make every JWT issued to ``user`` so far useless at once (access and refresh alike)."""
    User.objects.filter(pk=user.pk).update(token_generation=F("token_generation") + 1)
    user.refresh_from_db(fields=["token_generation"])
    logger.info("tokens revoked: user_id=%s reason=%s", user.pk, reason)


def logout(*, user: User, refresh: str) -> None:
    """Blacklist the caller's refresh token and revoke every access token issued to them.

    A refresh token that belongs to someone else is refused (PermissionDeniedError) and left
    alone: logging out must not be a way to sign another person out.
    """
    token = _refresh_token_parse(refresh, InvalidInputError)
    if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise PermissionDeniedError("This refresh token is not yours.", code="token_not_yours")
    token.blacklist()
    user_tokens_revoke(user=user, reason="logout")
