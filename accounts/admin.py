from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import CandidateProfile, LoginThrottle, User


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


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin):
    list_display = ["username", "ip_address", "failures", "last_failure_at", "locked_until"]
    search_fields = ["username", "ip_address"]
    list_filter = ["locked_until"]
