"""What every public page declares, and what that declaration buys it.

``@public(filters=EventFilter, extras=("page",))`` on a view says which query parameters
it takes (``tracker.params``) and how it answers a problem (``answers``: an HTML page,
JSON, or plain text for CSV and feeds). Every public URL declares itself so (a test
walks the URL resolver), and in return:

- a request with an unknown, bracketed or repeated parameter is answered 400, naming it;
- the view sees the canonical query: tracking parameters dropped, filters in one form;
- ``HEAD`` on a page with filters validates them and answers without a row query;
- anonymous ``GET`` and ``HEAD`` are answered from the page cache (``cache=True``,
  ``tracker.page_cache``); logged-in staff always get a fresh page (they see previews).
  The page is keyed by the record-wide version, or by ``versions(request, *args,
  **kwargs)`` when the view declares it: the versions of everything the page shows,
  for a page that shows only part of the record (an event's page).

Public pages answer ``GET`` and ``HEAD`` only (``tracker.middleware`` refuses other
methods before the view runs, for every URL). ``api=True`` declares a view of the JSON
API (``tracker.api``): it answers problems as JSON, is never served from the page cache
(it has its own validators and rate limit), runs on ``HEAD`` too (so that ``HEAD`` carries
the validators), and answers CORS preflights (``tracker.middleware``).
"""

from functools import lru_cache, wraps

from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import page_cache
from .params import Parameters, is_tracking

CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "json": "application/json",
    "text": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}


def problem_lines(problems):
    return "\n".join(f"{name}: {message}" for name, message in problems)


def refuse(request, problems, answers, parameters):
    """The 400 answer naming every problem, in the page's own format."""
    if answers == "html":
        context = {
            "problems": problems,
            "without": parameters.canonical(_kept(request.GET, problems)),
        }
        return render(request, "tracker/bad_query.html", context, status=400)
    if answers == "json":
        return JsonResponse({"errors": problem_lines(problems)}, status=400)
    intro = (
        _("The filters could not be understood; no CSV was written.")
        if answers == "csv"
        else _("The query could not be understood.")
    )
    return HttpResponse(
        f"{intro}\n{problem_lines(problems)}\n", status=400, content_type=CONTENT_TYPES["text"]
    )


def _kept(query, problems):
    """``query`` without the parameters that have problems."""
    kept = query.copy()
    for name, _message in problems:
        kept.pop(name, None)
    return kept


def public(*, filters=None, extras=(), answers="html", cache=True, versions=None, api=False):
    """Declare a view public: see the module's docstring."""
    parameters = Parameters(filters=filters, extras=tuple(extras))
    if api:
        answers, cache = "json", False

    def decorate(view):
        @wraps(view)
        def public_view(request, *args, **kwargs):
            with page_cache.read_once():
                return answer(request, *args, **kwargs)

        def answer(request, *args, **kwargs):
            problems = parameters.problems(request.GET)
            if problems:
                return refuse(request, problems, answers, parameters)
            valid, query = canonical_query(request, parameters)
            request.GET = query
            request.META["QUERY_STRING"] = query.urlencode()
            if request.method == "HEAD" and filters is not None and not api:
                status = 200 if valid else 400
                return HttpResponse(status=status, content_type=CONTENT_TYPES[answers])
            if not cache:
                return view(request, *args, **kwargs)
            if request.user.is_authenticated:
                response = page_cache.marked(view(request, *args, **kwargs), "bypass")
            else:
                response = page_cache.serve(
                    request,
                    query,
                    lambda: view(request, *args, **kwargs),
                    page_versions(versions, request, args, kwargs),
                )
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
            return response

        public_view.public = parameters
        public_view.cached = cache
        public_view.api = api
        return public_view

    return decorate


def page_versions(versions, request, args, kwargs):
    """What the page cache keys this page by: the view's own ``versions``, else the
    record-wide version."""
    if versions is None:
        return page_cache.record_wide

    def of_this_page():
        return versions(request, *args, **kwargs)

    of_this_page.__qualname__ = versions.__qualname__
    return of_this_page


def canonical_query(request, parameters):
    """``(filters valid, canonical query)``; filter values are written back only when
    the FilterSet accepts them (an invalid query is answered 400 by the view).

    A query that gives no filter a value needs no FilterSet: with every filter empty it
    is valid and its canonical form is the query's own (tests/test_strict_params.py holds
    this for every public view). Building a FilterSet and its form costs twice what the
    rest of a cached page does, and ``/events/`` without filters is a busy page; a query
    with filters is read by its FilterSet once per record version and language in each
    worker (:func:`filtered_query`), as a page is rendered once per record version."""
    if parameters.filters is None or not parameters.filters_given(request.GET):
        return True, parameters.canonical(request.GET)
    given = request.GET.copy()  # tracking parameters change nothing: not in the key
    for name in [name for name in given if is_tracking(name)]:
        del given[name]
    version = page_cache.record_wide()
    valid, text = filtered_query(parameters, given.urlencode(), version, get_language())
    return valid, QueryDict(text)


@lru_cache(maxsize=4096)
def filtered_query(parameters, query, record_version, language):
    """``(valid, canonical query as text)`` for the query ``query`` (text) given filters.

    Whether a filter value is valid depends on the record (a process's slug names a
    process, or not) and on the language (dates are read in its formats): so the answer
    is kept for the record version and the language it was given in, and a write, which
    moves the version on, has every query read again."""
    given = QueryDict(query)
    form = parameters.filters(given).form
    if not form.is_valid():
        return False, parameters.canonical(given).urlencode()
    return True, parameters.canonical(given, form.cleaned_data).urlencode()
