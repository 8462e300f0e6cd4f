"""Input forms of the review pages (the admin's HTML counterpart of input serializers)."""

from __future__ import annotations

from django import forms
from django.conf import settings

from .models import IncidentVerdict, SessionVerdict


class IncidentVerdictForm(forms.Form):
    incidents = forms.TypedMultipleChoiceField(coerce=int, choices=())
    verdict = forms.ChoiceField(choices=IncidentVerdict.Verdict.choices)
    notes = forms.CharField(required=False, max_length=settings.REVIEW_NOTES_MAX_CHARS)

    def __init__(self, *args, incident_ids: list[int], **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["incidents"].choices = [(pk, pk) for pk in incident_ids]


class SessionVerdictForm(forms.Form):
    verdict = forms.ChoiceField(choices=SessionVerdict.Verdict.choices, widget=forms.RadioSelect)
    notes = forms.CharField(
        required=False,
        max_length=settings.REVIEW_NOTES_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WarnForm(forms.Form):
    message = forms.CharField(
        max_length=settings.REVIEW_WARNING_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        initial="Please keep your face in view of the camera and stay on the exam page.",
    )


class TerminateForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(required=True, label="I am sure: end this candidate's exam now")


class GrantAttemptForm(forms.Form):
    reason = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the session's history with your name.",
    )
