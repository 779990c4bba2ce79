"""With the real seeds loaded, every public page answers and shows the seeded facts."""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from tracker.models import Event, Party, Person, Process
from tracker.seeds import load_seeds

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    load_seeds(directory=settings.BASE_DIR / "seeds")


def text(response):
    """The page's visible words, tags stripped, whitespace collapsed."""
    body = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def test_every_public_page_answers(seeded, client):
    urls = [reverse("home"), reverse("event-list"), reverse("feed"), reverse("sitemap")]
    urls += [e.get_absolute_url() for e in Event.objects.all()]
    urls += [p.get_absolute_url() for p in Process.objects.all()]
    urls += [p.get_absolute_url() for p in Party.objects.public()]
    urls += [p.get_absolute_url() for p in Person.objects.all()]
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_the_16_may_2025_page_shows_who_chaired_led_and_what_was_carried_out(seeded, client):
    response = client.get(reverse("event-detail", args=["2025-05-16-istanbul-direct-talks"]))
    page = text(response)

    assert "When 16 May 2025 started at 13:35 local time just under two hours" in page
    assert "Where Dolmabahçe Palace, Istanbul, Türkiye" in page
    assert "Mediator or chair Hakan Fidan , Minister of Foreign Affairs of Turkey" in page
    assert "For Russia Head of delegation Vladimir Medinsky" in page
    assert "For Ukraine Head of delegation Rustem Umerov , Minister of Defence of Ukraine" in page
    assert "agreed prisoner exchange An exchange of 1,000 prisoners of war for 1,000" in page
    assert 'Carried out: <a href="/events/2025-05-23-1000-for-1000-exchange/">' in (
        response.content.decode()
    )
    assert "(23 May 2025 – 25 May 2025)" in page
    assert "rejected ceasefire Ukraine's demand for an immediate" in page.replace("&#x27;", "'")
    assert "Rejected by: Russia" in page
    assert "discussed follow-up meeting A meeting between Putin and Zelensky" in page
    assert "Safarti Tarjuman International Desk" in page
    assert "Answered by" in page  # the leaders' call with Trump that same day

    exchange = client.get(reverse("event-detail", args=["2025-05-23-1000-for-1000-exchange"]))
    assert 'agreed at <a href="/events/2025-05-16-istanbul-direct-talks/">' in (
        exchange.content.decode()
    )


def test_the_home_page_counts_the_seeded_record(seeded, client):
    summary = client.get(reverse("home")).context["summary"]
    assert summary == {"events": 47, "rounds": 22, "agreements": 50, "carried_out": 6}
