"""The proctor's dashboard in the Django admin: reads (selectors), timeline, charts, sources.

``sources`` is the one module that knows the models of the apps built in parallel
(monitoring logs, analysis results and media, submissions, similarity); everything else asks
it, so a change in those models is adapted in one place.
"""
