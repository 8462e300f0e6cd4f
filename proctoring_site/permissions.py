"""Permissions of the composition root (no app imports: drf-spectacular loads them early)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.permissions import BasePermission


class ApiDocsPermission(BasePermission):
    """Schema and docs: anyone when API_DOCS_PUBLIC, else signed-in staff (admin session or
    a staff JWT)."""

    message = "The API documentation is for signed-in staff."

    def has_permission(self, request, view) -> bool:
        if settings.API_DOCS_PUBLIC:
            return True
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)
