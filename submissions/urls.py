from __future__ import annotations

from django.urls import path

from . import apis

urlpatterns = [
    path("submit", apis.SubmitApi.as_view(), name="submission-submit"),
    path("submissions", apis.SubmissionListApi.as_view(), name="submission-list"),
    path(
        "submissions/<id:problem_id>",
        apis.ProblemSubmissionListApi.as_view(),
        name="submission-problem-list",
    ),
    path("final-submit", apis.FinalSubmitApi.as_view(), name="submission-final-submit"),
    path("similarity", apis.SimilarityMatchListApi.as_view(), name="similarity-match-list"),
]
