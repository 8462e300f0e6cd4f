"""The admin's sign-in (where proctors sign in) under the same lockout as the API's login.

Why LoginThrottle and not django-axes: axes checks whether an address is locked before it
evaluates the password and records the failure after, so a concurrent burst evaluates as many
passwords as there are requests in flight (the issue's 50-request burst). ``credentials_check``
reserves an attempt with a conditional UPDATE *before* the password is checked, so no burst
gets more than LOGIN_FAILURE_LIMIT guesses, and both doors share its counters and its policy.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

from proctoring_site.exceptions import RateLimitedError

from . import services
from .utils import client_ip


class LockoutAdminAuthenticationForm(AdminAuthenticationForm):
    locked_retry_after: int | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = services.credentials_check(
                    username=username, password=password, ip_address=client_ip(self.request)
                )
            except RateLimitedError as error:
                self.locked_retry_after = error.retry_after
                raise ValidationError(error.message, code="login_locked") from None
            except services.AuthenticationError:
                raise self.get_invalid_login_error() from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


def admin_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """``admin.site.login`` with the lockout form; a locked-out attempt answers 429."""
    response = admin.site.login(request, extra_context)
    form = (getattr(response, "context_data", None) or {}).get("form")
    retry_after = getattr(form, "locked_retry_after", None)
    if retry_after is not None:
        response.status_code = 429
        response["Retry-After"] = str(retry_after)
    return response
