from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who signs in: a candidate, a proctor (staff, "Proctors" group) or an admin."""

    class Role(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        PROCTOR = "proctor", "Proctor"
        ADMIN = "admin", "Admin"

    email = models.EmailField("email address", unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CANDIDATE)
    # Bumped to revoke every JWT issued so far (logout, a proctor's terminate): see tokens.py.
    token_generation = models.PositiveIntegerField(default=0, editable=False)

    REQUIRED_FIELDS = ["email"]

    @property
    def is_candidate(self) -> bool:
        return self.role == self.Role.CANDIDATE and not self.is_superuser

    @property
    def is_reviewer(self) -> bool:
        """Proctors and admins: may watch, review, warn and terminate."""
        return self.is_superuser or self.role in (self.Role.PROCTOR, self.Role.ADMIN)

    @property
    def display_name(self) -> str:
        profile = getattr(self, "candidate_profile", None)
        if profile is not None and profile.full_name:
            return profile.full_name
        return self.get_full_name() or self.username


class CandidateProfile(models.Model):
    """The seed's ``candidates`` table: who is taking exams."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="candidate_profile")
    full_name = models.CharField(max_length=200)
    institution = models.CharField(max_length=200, blank=True)
    external_id = models.CharField(
        max_length=100, blank=True, help_text="Student or applicant number at the institution."
    )
    phone = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name


class LoginThrottle(models.Model):
    """Failed sign-ins per (username, address), for the brute-force lockout."""

    username = models.CharField(max_length=150)
    ip_address = models.CharField(max_length=45)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["username", "ip_address"], name="login_throttle_key")
        ]

    def __str__(self) -> str:
        return f"{self.username}@{self.ip_address}: {self.failures}"
