"""Writes for accounts: registration, sign-in with brute-force lockout, proctor creation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from proctoring_site.exceptions import ConflictError, RateLimitedError

from .models import CandidateProfile, LoginThrottle, User

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
    """Check the credentials and return a JWT pair.

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
        logger.warning(
            "failed sign-in: username=%r ip=%s failures=%s",
            username[:150],
            ip_address,
            throttle.failures,
        )
        raise AuthenticationError
    rows.update(failures=0, locked_until=None, last_failure_at=None)
    refresh = RefreshToken.for_user(user)
    logger.info("sign-in: user_id=%s ip=%s", user.pk, ip_address)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def logout(*, refresh: str) -> None:
    """Blacklist the refresh token so it can never be used again."""
    RefreshToken(refresh).blacklist()
