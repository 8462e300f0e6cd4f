from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from .admin_login import LockoutAdminAuthenticationForm
from .models import CandidateProfile, LoginThrottle, User
from .services import login_throttles_unlock


class CandidateProfileInline(admin.StackedInline):
    model = CandidateProfile
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "role", "display_name", "is_staff", "last_login"]
    list_filter = ["role", "is_staff", "is_superuser", "is_active"]
    search_fields = ["username", "email", "candidate_profile__full_name"]
    fieldsets = [*DjangoUserAdmin.fieldsets, ("Role", {"fields": ["role"]})]
    inlines = [CandidateProfileInline]


@admin.register(CandidateProfile)
class CandidateProfileAdmin(admin.ModelAdmin):
    list_display = ["full_name", "user", "institution", "external_id", "created_at"]
    search_fields = ["full_name", "user__email", "user__username", "external_id"]
    list_filter = ["institution"]


admin.site.login_form = LockoutAdminAuthenticationForm


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin):
    list_display = ["username", "ip_address", "failures", "last_failure_at", "locked_until"]
    search_fields = ["username", "ip_address"]
    list_filter = ["locked_until"]
    actions = ["unlock"]

    @admin.action(description="Unlock: clear the lockout and failure count", permissions=["change"])
    def unlock(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = login_throttles_unlock(throttles=queryset, actor=request.user)
        self.message_user(request, f"Unlocked {count} sign-in record(s).")
