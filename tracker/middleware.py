"""Only the methods a page needs are answered, and only the API is read across sites.

Public pages (``@public``) answer ``GET`` and ``HEAD``; every other page, the admin
included, also ``POST``, where its forms send. The JSON API (``@public(api=True)``) answers
``GET`` and ``HEAD``, and ``OPTIONS``: the preflight a browser sends before a page of
another site reads it with ``If-None-Match``. Anything else (``TRACE``, ``PUT``,
``DELETE``, ``PATCH``, made-up verbs, and ``OPTIONS`` outside the API) is answered 405
with the ``Allow`` header before the view runs.

The API is public, read-only and takes no credentials, so every answer of it, errors
included, may be read by any site (``Access-Control-Allow-Origin: *``): a constant
header and a constant preflight, written here rather than configured in a CORS package
whose URL pattern would be a second rule beside this one.
"""

from django.http import HttpResponse, HttpResponseNotAllowed

PUBLIC_METHODS = ("GET", "HEAD")
FORM_METHODS = ("GET", "HEAD", "POST")
API_METHODS = ("GET", "HEAD", "OPTIONS")

#: On every answer of the API: any site may read it, and the validators and the wait.
CROSS_ORIGIN = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Link, Retry-After",
}
#: The answer to a preflight: reads, with the conditional headers, for a day.
PREFLIGHT = {
    "Access-Control-Allow-Methods": "GET, HEAD",
    "Access-Control-Allow-Headers": "If-None-Match, If-Modified-Since",
    "Access-Control-Max-Age": "86400",
}


def allowed_methods(view):
    """The methods ``view`` (as the URL resolver returns it) answers."""
    if getattr(view, "api", False):
        return API_METHODS
    return PUBLIC_METHODS if hasattr(view, "public") else FORM_METHODS


class AllowedMethodsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "read_across_sites", False):
            for name, value in CROSS_ORIGIN.items():
                response.headers.setdefault(name, value)
        return response

    def process_view(self, request, view, args, kwargs):
        allowed = allowed_methods(view)
        request.read_across_sites = allowed == API_METHODS
        if request.method not in allowed:
            return HttpResponseNotAllowed(allowed)
        if request.method == "OPTIONS":
            return HttpResponse(status=204, headers={"Allow": ", ".join(allowed), **PREFLIGHT})
        return None
