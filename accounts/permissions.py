from __future__ import annotations

from rest_framework.permissions import BasePermission


class IsReviewer(BasePermission):
    """Proctors and admins only."""

    message = "Only proctors and admins may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_reviewer)


class IsCandidate(BasePermission):
    message = "Only candidates may do this."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_candidate)
