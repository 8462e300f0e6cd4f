from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import CandidateProfile, User
from accounts.services import proctor_create
from exams.models import Exam, Problem

DEMO_PASSWORD = "demo-pass-123"  # noqa: S105 - published demo credentials, local only

TWO_SUM_STARTER = '''def two_sum(numbers, target):
    """Return the indices of the two numbers that add up to target."""
    pass
'''

WORDS_STARTER = '''def word_frequencies(text):
    """Return a dict of word -> count, case-insensitive, ignoring punctuation."""
    pass
'''


class Command(BaseCommand):
    help = "Load demo data: an exam with two problems, a proctor, an admin, two candidates."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        exam, _ = Exam.objects.update_or_create(
            title="Demo: Python fundamentals",
            defaults={
                "description": "Two short problems. Camera, microphone and screen focus are "
                "monitored during the exam.",
                "duration_minutes": 60,
            },
        )
        Problem.objects.update_or_create(
            exam=exam,
            title="Two sum",
            defaults={
                "statement": "Given a list of integers and a target, return the indices of "
                "the two numbers that add up to the target.",
                "starter_code": TWO_SUM_STARTER,
                "language": "python",
                "order": 1,
            },
        )
        Problem.objects.update_or_create(
            exam=exam,
            title="Word frequencies",
            defaults={
                "statement": "Count how often each word occurs in a text.",
                "starter_code": WORDS_STARTER,
                "language": "python",
                "order": 2,
            },
        )
        proctor_create(username="proctor", email="proctor@example.com", password=DEMO_PASSWORD)
        proctor_create(
            username="admin", email="admin@example.com", password=DEMO_PASSWORD, admin=True
        )
        for username, full_name in [("alice", "Alice Candidate"), ("bob", "Bob Candidate")]:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"email": f"{username}@example.com", "role": User.Role.CANDIDATE},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            CandidateProfile.objects.update_or_create(
                user=user, defaults={"full_name": full_name, "institution": "Demo University"}
            )
        self.stdout.write(
            f"Demo data ready: exam {exam.pk}; users proctor, admin, alice, bob "
            f"(password {DEMO_PASSWORD!r}, local demo only)."
        )
