"""Settings split by environment: base (shared), local, production, test.

Every value comes from an environment variable with a safe local default; production refuses
to start without a SECRET_KEY. Integrations live in their own modules (jwt, cors, channels,
q_cluster) and each feature app may add one (monitoring, analysis, submissions, review).
"""
