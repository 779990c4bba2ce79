"""Only the methods a page needs are answered.

Public pages (``@public``) answer ``GET`` and ``HEAD``; every other page, the admin
included, also ``POST``, where its forms send. Anything else (``TRACE``, ``OPTIONS``,
``PUT``, ``DELETE``, ``PATCH``, made-up verbs) is answered 405 with the ``Allow`` header
before the view runs.
"""

from django.http import HttpResponseNotAllowed

PUBLIC_METHODS = ("GET", "HEAD")
FORM_METHODS = ("GET", "HEAD", "POST")


def allowed_methods(view):
    """The methods ``view`` (as the URL resolver returns it) answers."""
    return PUBLIC_METHODS if hasattr(view, "public") else FORM_METHODS


class AllowedMethodsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        allowed = allowed_methods(view)
        if request.method not in allowed:
            return HttpResponseNotAllowed(allowed)
        return None
