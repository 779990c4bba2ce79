"""Property-based tests (hypothesis) of everything a stranger can send: query strings on
every public page, arguments in every public URL pattern, and CSV files at the import.

Never a 500, never the whole record for a filter the page refused, never a partial write.
Parameter names come mostly from what each page declares (its FilterSet's fields and its
extras, ``tracker.params``) and values mostly from the record, so that at least half the
requests are otherwise valid and reach the code behind the checks. The pages and
patterns are walked from the URL resolver. CI runs the fixed profile set in
tests/conftest.py ("ci": derandomized, a stated number of examples).
"""

import csv
import io
import re

import pytest
from django.apps import apps
from django.urls import URLResolver, get_resolver, resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import proxied_client
from tests.crawl import crawl
from tests.factories import make_full_record, make_release
from tests.timeline_records import two_conflicts
from tracker.columns import TABLES
from tracker.csv_export import csv_lines
from tracker.imports import ImportRefused, import_tables
from tracker.models import Event

pytestmark = pytest.mark.django_db

#: Function-scoped fixtures build the record once per test, and every example reads it.
SHARED_RECORD = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

ODD_TEXT = st.text(max_size=30) | st.sampled_from(
    ["'", '"', "<script>alert(1)</script>", "%00", "\u202e", "-1", "1e9", "../..", "[]"]
)


def public_patterns(entries=None, prefix=""):
    found = []
    for entry in get_resolver().url_patterns if entries is None else entries:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.app_name != "admin":
                found += public_patterns(entry.url_patterns, route)
        else:
            found.append((route, entry))
    return found


@pytest.fixture
def site(db):
    """A record with two conflicts, and one real address of every public page."""
    make_full_record()
    two_conflicts()
    make_release()
    examples = {}
    for url in crawl(proxied_client(), ["/", "/sitemap.xml"]):
        examples.setdefault(resolve(url.split("?")[0]).url_name, url.split("?")[0])
    pages = [
        (route, p, examples.get(p.name) if p.pattern.regex.groups else f"/{route}")
        for route, p in public_patterns()
    ]
    assert [route for route, _p, example in pages if not example] == []
    values = {
        "slugs": [path.rstrip("/").rsplit("/", 1)[-1] for path in examples.values()],
        "events": [event.get_absolute_url() for event in Event.objects.published()],
    }
    return pages, values


def valid_values(taken, record):
    """Values the page would accept for a parameter, drawn from its form field."""
    field = taken.field
    if field is not None and hasattr(field, "choices"):
        key = getattr(field, "to_field_name", None)
        if key:
            return [str(getattr(o, key)) for o in field.queryset]
        return [str(value) for value, _label in field.choices if value != ""]
    if "date" in taken.name:
        return ["2014-09-05", "2025-05-16"]
    return EXTRA_VALUES.get(taken.name, ["peace", "Minsk", "talks"])


EXTRA_VALUES = {"page": ["1", "2"], "p": ["1"], "bom": ["1"], "language": ["uk", "ru", "en"]}


@st.composite
def requests(draw, site):
    """``(path, [(name, value)])``: mostly a real page with parameters it declares and
    values it accepts (each name once), else anything at all."""
    pages, record = site
    route, pattern, path = draw(st.sampled_from(pages))
    declared = pattern.callback.public.taken
    if draw(st.integers(0, 9)) < 6:  # otherwise valid
        names = draw(st.lists(st.sampled_from(sorted(declared) or [""]), unique=True, max_size=3))
        query = [
            (name, draw(st.sampled_from(valid_values(declared[name], record))))
            for name in names
            if name
        ]
        return path, query
    if pattern.pattern.regex.groups and draw(st.booleans()):
        path = "/" + re.sub(r"<[^>]+>", draw(ODD_TEXT.filter(lambda t: t and "/" not in t)), route)
    query = []
    for _ in range(draw(st.integers(0, 3))):
        if declared and draw(st.booleans()):
            name = draw(st.sampled_from(sorted(declared)))
            values = valid_values(declared[name], record)
            query.append((name, draw(st.sampled_from(values) | ODD_TEXT)))
        else:
            query.append((draw(ODD_TEXT), draw(ODD_TEXT)))
    return path, query


def test_no_query_or_address_gets_a_500_or_the_whole_record_for_a_refused_filter(site):
    statuses = []

    @SHARED_RECORD
    @given(requests(site))
    def check(request):
        path, query = request
        response = proxied_client().get(path, query)  # an exception here fails the test
        statuses.append(response.status_code)
        assert response.status_code in (200, 301, 302, 400, 404), (path, query)
        if response.status_code == 400:
            body = b"".join(response) if response.streaming else response.content
            # A refused event page still links to itself ("show this page without them").
            leaked = [url for url in site[1]["events"] if url.encode() in body and url != path]
            assert leaked == [], (path, query, leaked)

    check()
    assert statuses.count(200) >= len(statuses) / 2, statuses
    assert {400, 404} <= set(statuses), "the examples reach the refusals too"


# The import ---------------------------------------------------------------------------------


def fingerprint():
    """Every row of every tracker table, every value in it: a refused import must leave
    the record exactly as it was (not only as many rows: a changed cell counts too)."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_app_config("tracker").get_models()
    }


CELLS = (
    st.sampled_from(
        [
            "",
            "istanbul-talks",
            "exchange",
            "istanbul-2025",
            "ukraine",
            "2025-05-16",
            "2025-05",
            "published",
            "draft",
            "summit",
            "agreed",
            "1",
            "head_of_delegation",
            "UA",
            "yes",
        ]
    )
    | ODD_TEXT
)


def exported():
    """``{table name: rows}`` of the record as the site exports it, header first."""
    events = Event.objects.published().for_export()
    return {
        name: list(csv.reader(io.StringIO("".join(csv_lines(table, events, base_url="")))))
        for name, table in TABLES.items()
    }


@st.composite
def csv_files(draw, base):
    """A table's export with a few cells, rows or columns changed; now and then a file
    of other columns, or no CSV at all."""
    name = draw(st.sampled_from(sorted(base)))
    header, *rows = (list(row) for row in base[name])
    shape = draw(st.integers(0, 9))
    if shape == 0:
        return f"{name}.csv", draw(st.text(max_size=200))  # not CSV at all
    if shape == 1:
        header = draw(st.lists(st.sampled_from(header) | ODD_TEXT, min_size=1, max_size=6))
        rows = [draw(st.lists(CELLS, min_size=len(header), max_size=len(header)))]
    for _ in range(draw(st.integers(0, 3))):
        if rows:
            row = draw(st.sampled_from(rows))
            row[draw(st.integers(0, len(row) - 1))] = draw(CELLS)
    if rows and draw(st.integers(0, 4)) == 0:
        rows.pop(draw(st.integers(0, len(rows) - 1)))
    text = io.StringIO()
    csv.writer(text).writerows([header, *rows])
    return f"{name}.csv", text.getvalue()


def test_an_arbitrary_csv_file_is_imported_whole_or_refused_whole(db):
    make_full_record()
    two_conflicts()
    base = exported()
    outcomes = []

    @SHARED_RECORD
    @given(csv_files(base))
    def check(file):
        name, text = file
        before = fingerprint()
        try:
            report = import_tables(files={name: text.encode("utf-8", "surrogatepass")})
        except ImportRefused as refused:
            problems = refused.problems
        else:
            outcomes.append("unchanged" if report.plan.is_empty else "written")
            return
        outcomes.append("refused")
        assert problems, "a refusal names its problems"
        assert fingerprint() == before, "a refused import wrote something"

    check()
    assert {"refused", "unchanged", "written"} <= set(outcomes), outcomes


@pytest.mark.parametrize("slug", ["", "two words", "дві-слова"])
def test_an_event_row_with_an_unusable_slug_is_refused_not_a_crash(db, slug):
    """Found by the test above: a derived cell (the event's URL) was computed from a slug
    the import had already refused, and raised instead of listing the problem."""
    make_full_record()
    header, first, *_rest = exported()["events"]
    first[header.index("slug")] = slug
    text = io.StringIO()
    csv.writer(text).writerows([header, first])
    before = fingerprint()
    with pytest.raises(ImportRefused) as refused:
        import_tables(files={"events.csv": text.getvalue()})
    assert {p.column for p in refused.value.problems} == {"slug"}, refused.value.problems
    assert fingerprint() == before
