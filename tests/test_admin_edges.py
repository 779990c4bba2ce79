"""The admin's rough edges, each as an editor meets it: links from either event, rows
numbered in order, the side from the party, sources told apart, a country for any party,
links to what already exists, a history in sentences, slugs with word breaks."""

import datetime
import html
import re

import pytest
from django.contrib.admin.utils import quote
from django.urls import reverse

from tests.factories import (
    link,
    make_event,
    make_full_record,
    make_participation,
    make_party,
    make_person,
    make_source,
    make_user,
)
from tracker.models import EventLink, Participation, Party
from tracker.slugs import slug_from

pytestmark = pytest.mark.django_db


def change_url(obj):
    return reverse(f"admin:tracker_{obj._meta.model_name}_change", args=[quote(obj.pk)])


def post_change(client, admin_form_data, obj, **changes):
    url = change_url(obj)
    return client.post(url, admin_form_data(client.get(url)) | changes)


def new_rows(prefix, rows, start=0):
    """POST data for new inline rows: ``rows`` are dicts of field values."""
    data = {f"{prefix}-TOTAL_FORMS": str(start + len(rows))}
    for i, row in enumerate(rows, start):
        data |= {f"{prefix}-{i}-{name}": value for name, value in row.items()}
    return data


# Links from either event, in that event's words


def test_a_link_is_entered_from_the_event_it_points_to_in_that_events_words(
    client, superuser, admin_form_data
):
    talks = make_event(title="Istanbul talks")
    answer = make_event(title="Moscow's answer", start_date=datetime.date(2025, 5, 20))
    client.force_login(superuser)

    page = client.get(change_url(talks)).content.decode()
    assert re.search(r'<option value="responds_to">answered by</option>', page)
    assert re.search(r'<option value="follows">followed by</option>', page)

    response = post_change(
        client,
        admin_form_data,
        talks,
        **new_rows("links_in", [{"relation": "responds_to", "from_event": str(answer.pk)}]),
    )

    assert response.status_code == 302
    assert EventLink.objects.filter(
        from_event=answer, relation="responds_to", to_event=talks
    ).exists()
    answer.refresh_from_db()
    assert (answer.version, answer.changed_by) == (2, superuser)
    talks_page = client.get(talks.get_absolute_url()).content.decode()
    assert "Answered by: <a" in talks_page


def test_the_links_autocomplete_never_offers_the_event_itself(client, superuser):
    talks = make_event(title="Geneva talks")
    other = make_event(title="Geneva talks, second round")
    client.force_login(superuser)
    url = reverse("admin:autocomplete")
    query = {"term": "Geneva", "app_label": "tracker", "model_name": "eventlink"}

    for field in ("to_event", "from_event"):
        response = client.get(
            url,
            query | {"field_name": field},
            headers={"referer": f"http://testserver{change_url(talks)}"},
        )
        offered = {int(r["id"]) for r in response.json()["results"]}
        assert offered == {other.pk}, field

    from_elsewhere = client.get(url, query | {"field_name": "to_event"})
    assert {int(r["id"]) for r in from_elsewhere.json()["results"]} == {talks.pk, other.pk}


# New rows are numbered in the order shown


def test_new_rows_are_numbered_1_2_3_in_the_order_shown(client, superuser, admin_form_data):
    event = make_event()
    people = [make_person(name=name) for name in ("Umerov", "Medinsky", "Fidan")]
    client.force_login(superuser)

    rows = [{"person": str(p.pk), "role": "delegate", "position": ""} for p in people]
    response = post_change(client, admin_form_data, event, **new_rows("participations", rows))

    assert response.status_code == 302
    assert list(
        event.participations.order_by("position").values_list("person__name", "position")
    ) == [
        ("Umerov", 1),
        ("Medinsky", 2),
        ("Fidan", 3),
    ]

    more = [{"person": str(make_person(name="Witkoff").pk), "role": "mediator", "position": ""}]
    response = post_change(client, admin_form_data, event, **new_rows("participations", more, 3))
    assert response.status_code == 302
    assert event.participations.get(person__name="Witkoff").position == 4


def test_a_part_added_on_its_own_page_comes_after_the_events_other_parts(client, superuser):
    event = make_event()
    for position in (1, 2):
        make_participation(event=event, position=position)
    client.force_login(superuser)

    response = client.post(
        reverse("admin:tracker_participation_add"),
        {"event": event.pk, "party": make_party().pk, "role": "observer", "position": ""},
    )

    assert response.status_code == 302
    assert list(event.participations.values_list("position", flat=True)) == [1, 2, 3]


def test_an_extra_row_left_empty_is_ignored(client, superuser, admin_form_data):
    event = make_event()
    client.force_login(superuser)

    empty = [{"person": "", "party": "", "role": "", "position": ""}]
    response = post_change(client, admin_form_data, event, **new_rows("participations", empty))

    assert response.status_code == 302
    assert not event.participations.exists()


# The side defaults to the party


def test_the_side_defaults_to_the_persons_party_except_for_neutral_roles(
    client, superuser, admin_form_data
):
    ukraine = make_party(name="Ukraine", country="UA")
    turkey = make_party(name="Türkiye", country="TR")
    umerov = make_person(name="Rustem Umerov", party=ukraine)
    fidan = make_person(name="Hakan Fidan", party=turkey)
    event = make_event()
    client.force_login(superuser)

    rows = [
        {"person": str(umerov.pk), "role": "head_of_delegation", "side": ""},
        {"person": str(fidan.pk), "role": "host", "side": ""},
        {"party": str(turkey.pk), "role": "signatory", "side": ""},
    ]
    response = post_change(client, admin_form_data, event, **new_rows("participations", rows))

    assert response.status_code == 302
    sides = {
        (p.person or p.party).name: p.side for p in event.participations.select_related("side")
    }
    assert sides == {"Rustem Umerov": ukraine, "Hakan Fidan": None, "Türkiye": turkey}


def test_the_side_defaults_on_the_participation_page_too(client, superuser):
    ukraine = make_party(name="Ukraine", country="UA")
    umerov = make_person(name="Rustem Umerov", party=ukraine)
    event = make_event()
    client.force_login(superuser)

    response = client.post(
        reverse("admin:tracker_participation_add"),
        {"event": event.pk, "person": umerov.pk, "role": "delegate", "position": "1"},
    )

    assert response.status_code == 302
    assert Participation.objects.get(event=event).side == ukraine
    event.refresh_from_db()
    assert event.version == 2


# Sources told apart


def test_the_source_autocomplete_shows_publisher_title_and_date_and_finds_by_both(
    client, superuser
):
    make_source(publisher="Reuters", title="Talks in Istanbul end", url="https://r.example/1")
    make_source(publisher="Reuters", title="Exchange completed", url="https://r.example/2")
    make_source(publisher="AP", title="Talks in Istanbul end", url="https://ap.example/1")
    client.force_login(superuser)

    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "reuters istanbul",
            "app_label": "tracker",
            "model_name": "citation",
            "field_name": "source",
        },
    )

    assert [r["text"] for r in response.json()["results"]] == [
        "Reuters — Talks in Istanbul end (16 May 2025)"
    ]


# A country for any party; states must have one


def test_a_non_state_party_may_record_the_country_it_is_based_in(client, superuser):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:tracker_party_add"),
        {"name": "FARC-EP", "slug": "farc-ep", "kind": "armed_group", "country": "CO"},
    )

    assert response.status_code == 302
    assert Party.objects.get(slug="farc-ep").country.code == "CO"


def test_a_state_still_needs_a_country(client, superuser):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:tracker_party_add"),
        {"name": "Atlantis", "slug": "atlantis", "kind": "state", "country": ""},
    )

    form = response.context["adminform"].form
    assert form.errors["country"] == ["A state needs its ISO country code."]


# “Already exists” links to what exists


def test_already_exists_links_to_the_existing_record_escaped(client, superuser):
    existing = make_party(name="Ukraine <b>", slug="ukraine")
    client.force_login(superuser)

    response = client.post(
        reverse("admin:tracker_party_add"),
        {"name": "Ukraine <b>", "slug": "ukraine-2", "kind": "state", "country": "UA"},
    )

    errors = str(response.context["adminform"].form.errors["name"])
    assert "Party with this Name already exists." in errors
    assert f'<a href="{change_url(existing)}">Open “Ukraine &lt;b&gt;”</a>' in errors
    assert "<b>" not in errors
    assert not Party.objects.filter(slug="ukraine-2").exists()


def test_a_source_that_exists_by_url_links_to_it(client, superuser):
    existing = make_source(url="https://news.example.org/talks", title="Talks", publisher="X")
    client.force_login(superuser)

    response = client.post(
        reverse("admin:tracker_source_add"),
        {"url": "https://news.example.org/talks", "title": "Again", "publisher": "Y"},
    )

    assert "A source with this URL already exists." in response.content.decode()
    assert f'<a href="{change_url(existing)}">' in response.content.decode()


# History as sentences


def test_history_reads_as_sentences_with_dates_never_none(client, admin_form_data):
    olena = make_user("olena", groups=["Editor"], first_name="Olena", last_name="K.")
    record = make_full_record()
    talks = record["talks"]
    client.force_login(olena)
    post_change(client, admin_form_data, talks, title="Istanbul talks, day one", end_date="")

    page = client.get(reverse("admin:tracker_event_history", args=[talks.pk])).content.decode()
    table = page.split('id="change-history"')[1].split("</table>")[0]
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", table)))

    assert "None" not in text
    assert re.search(
        r"\d{1,2} \w+ \d{4}, \d{2}:\d{2}: Olena K\. changed it\. Changed in the admin: title\.",
        text,
    )
    assert re.search(r"\d{1,2} \w+ \d{4}, \d{2}:\d{2}: the seed loader created it\.", text)
    assert "Title: Istanbul talks → Istanbul talks, day one" in text


def test_a_part_changed_on_its_own_page_reads_as_a_sentence_in_the_events_history(
    client, superuser, admin_form_data
):
    record = make_full_record()
    participation = record["talks"].participations.first()
    client.force_login(superuser)
    post_change(client, admin_form_data, participation, note="x")

    history = record["talks"].history.first()
    assert history.history_change_reason == "Changed through its participation"


# Slugs keep word breaks at dashes


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Colombia–FARC talks", "colombia-farc-talks"),
        ("Talks — second round", "talks-second-round"),
        ("Ceasefire‐monitoring mission", "ceasefire-monitoring-mission"),
        ("Minsk II/Normandy format", "minsk-ii-normandy-format"),
        ("Dolmabahçe meeting", "dolmabahce-meeting"),
    ],
)
def test_slug_from_keeps_word_breaks_at_dashes(title, slug):
    assert slug_from(title) == slug


def test_slug_from_cuts_long_titles_at_a_word_break():
    assert slug_from("Istanbul talks on prisoner exchanges", max_length=20) == "istanbul-talks-on"


def test_links_from_either_end_are_shown_on_both_events_pages(client, superuser):
    talks = make_event(title="Talks")
    call = make_event(title="Call", start_date=datetime.date(2025, 5, 19))
    link(call, talks, EventLink.Relation.FOLLOWS)
    client.force_login(superuser)

    talks_page = client.get(change_url(talks))
    call_page = client.get(change_url(call))

    incoming = talks_page.context["inline_admin_formsets"]
    assert any(f.formset.prefix == "links_in" and f.formset.initial_forms for f in incoming)
    outgoing = call_page.context["inline_admin_formsets"]
    assert any(f.formset.prefix == "links_out" and f.formset.initial_forms for f in outgoing)
