"""Who is calling: local passwords, web sessions, API tokens, OIDC bearer tokens, partner JWTs, and the role dependencies.

``principal`` (who), ``passwords``, ``web_sessions``, ``api_tokens``, ``oidc`` (ways of proving it),
``dependencies`` (the route dependencies, in the order a request is tried), ``pages`` (the same
for HTML pages), ``tokens`` (the one JWT decoder), ``partner`` and ``replay`` (partner calls).
"""
