"""A Content-Security-Policy for the public pages.

The pages run no inline script (figures arrive as JSON and a static file draws them),
so scripts may only come from our own origin. Plotly sets inline styles, hence
``'unsafe-inline'`` for styles; nothing may be loaded from another origin. The charts
are SVG only and need no ``'unsafe-eval'`` (a browser test draws them under a policy
without it); it stays here until the issue that removes it. The admin keeps Django's
own defaults.
"""

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
