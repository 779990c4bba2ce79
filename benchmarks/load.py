"""The load test of the issue: 50 readers and one editor against a running tracker.

    pip install -e ".[bench]"
    TRACKER_LOAD_PASSWORD=… python benchmarks/load.py --host http://127.0.0.1:8000 --editor admin

50 closed-loop readers with no think time for 30 s, over a fixed mix: 40% ``/``, 30%
``/events/``, 15% one of ten filtered lists, 15% one of 200 event pages. Meanwhile one
editor saves one published event through the admin every 2 s (a new title), and right
after each save asks, as an anonymous reader, for that event's page and ``/events/``:
both must show the new title, or the miss counts as an error. At the end it prints
requests/s, the median and 99th percentile of the response times, and the errors; it
exits 1 if there was any error.

It runs against the server and record it is given and builds nothing: use the
10,000-event demo record, with the server as README ("Performance") describes. The
editor needs an account that can change events (``--editor``, its password in
``TRACKER_LOAD_PASSWORD``). The event it edits is one listed on the first page of
``/events/``; its title is put back at the end. The run is bounded (at most 10 minutes)
and refuses any host that is not this machine's loopback: it is a load test, not an
attack. Requests say they came over HTTPS through the trusted proxy, as production's do
(``--no-proxy-header`` for a debug server).
"""

import argparse
import ipaddress
import os
import random
import re
import sys
import time
from html import unescape
from html.parser import HTMLParser
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlencode, urlsplit

PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
MAX_SECONDS = 600


def loopback_only(host):
    """``host`` if it is a loopback URL; exits naming it otherwise."""
    parts = urlsplit(host)
    name = parts.hostname or ""
    try:
        loopback = name == "localhost" or ipaddress.ip_address(name).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme != "http" or not loopback:
        sys.exit(f"Refusing {host!r}: the load test runs only against http://127.0.0.1 or ::1.")
    return host.rstrip("/")


class ThroughTheProxy(DefaultCookiePolicy):
    """The server sees HTTPS through its proxy and sets Secure cookies; on loopback, with
    the proxy's header, they travel as the proxy would pass them."""

    def return_ok_secure(self, cookie, request):
        return True


def posted(base, headers):
    """The headers of a form posted as a browser does, through the proxy."""
    return {"Origin": origin(base, headers), "Content-Type": "application/x-www-form-urlencoded"}


class FormFields(HTMLParser):
    """The fields a browser would send for the form with the given id."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside = form_id, False
        self.fields, self.select, self.textarea = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif not self.inside or ("name" not in a and tag in ("input", "select", "textarea")):
            return
        elif tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "select":
            self.select = {"name": a["name"], "first": None, "chosen": [], "many": "multiple" in a}
        elif tag == "option" and self.select is not None:
            value = a.get("value", "")
            if self.select["first"] is None:
                self.select["first"] = value
            if "selected" in a:
                self.select["chosen"].append(value)
        elif tag == "textarea":
            self.textarea = (a["name"], [])

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            chosen = self.select["chosen"]
            if not chosen and not self.select["many"]:  # a browser sends the first option
                chosen = [self.select["first"] or ""]
            self.fields += [(self.select["name"], value) for value in chosen]
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            name, parts = self.textarea
            self.fields.append((name, "".join(parts).removeprefix("\n")))
            self.textarea = None


def options(page, name):
    """The values of the ``<select name=...>`` on ``page`` (empty choice left out)."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    return [v for v in re.findall(r'<option value="([^"]*)"', select.group(1)) if v]


def discover(base, headers):
    """The run's fixed URLs, read from the site: 200 event pages, ten filtered lists,
    and an event on the first page of ``/events/`` for the editor."""
    from urllib.request import Request, urlopen

    def get(path):
        with urlopen(Request(base + path, headers=headers), timeout=60) as response:
            return response.read().decode()

    sitemap = get("/sitemap.xml")
    events = [urlsplit(u).path for u in re.findall(r"<loc>([^<]+/events/[^<]+/)</loc>", sitemap)]
    listing = get("/events/")
    filters = [f"/events/?process={slug}" for slug in options(listing, "process")]
    filters += [f"/events/?kind={kind}" for kind in options(listing, "kind")]
    first_page = re.findall(r'<h2 class="event-title"><a href="(/events/[^"]+/)">', listing)
    if len(events) < 200 or len(filters) < 10 or not first_page:
        sys.exit("The record is too small for this mix: use the 10,000-event demo record.")
    return {"events": events[:200], "filters": filters[:10], "edited": first_page[0]}


def floor_users(base, path, headers):
    """Readers that all ask for ``path`` (a 404 page, a cached page) and no editor: what
    this machine and this script can do at best, to read the mix's figures against."""
    from locust import FastHttpUser, constant, task

    class Reader(FastHttpUser):
        host = base
        wait_time = constant(0)
        default_headers = headers

        @task
        def floor(self):
            with self.client.get(path, name=path, catch_response=True) as answer:
                if answer.status_code in (200, 404):
                    answer.success()

    return [Reader]


def build_users(base, plan, editor, password, headers, seconds_between_saves=2.0):
    from locust import FastHttpUser, constant, task
    from locust.contrib.fasthttp import FastHttpSession

    class Reader(FastHttpUser):
        host = base
        wait_time = constant(0)
        default_headers = headers

        @task(40)
        def home(self):
            self.client.get("/", name="/")

        @task(30)
        def event_list(self):
            self.client.get("/events/", name="/events/")

        @task(15)
        def filtered_list(self):
            self.client.get(random.choice(plan["filters"]), name="/events/?<one of ten filters>")

        @task(15)
        def event_page(self):
            self.client.get(random.choice(plan["events"]), name="/events/<one of 200>/")

    class Editor(FastHttpUser):
        """Saves the edited event every 2 s, then checks what readers get at once."""

        host = base
        fixed_count = 1
        wait_time = constant(0)
        default_headers = headers
        saves = 0

        def on_start(self):
            self.client.cookiejar.set_policy(ThroughTheProxy())
            self.reader = FastHttpSession(
                base, request_event=self.environment.events.request, user=self
            )
            page = self.client.get("/admin/login/", name="admin: login").text
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            data = {"csrfmiddlewaretoken": token, "username": editor, "password": password}
            self.client.post(
                "/admin/login/?next=/admin/",
                data=urlencode(data | {"next": "/admin/"}),
                headers=posted(base, headers),
                name="admin: login",
                allow_redirects=False,
            )
            slug = plan["edited"].strip("/").rsplit("/", 1)[-1]
            found = self.client.get(f"/admin/tracker/event/?q={slug}", name="admin: find").text
            self.change = re.search(r'href="(/admin/tracker/event/\d+/change/)[^"]*"', found).group(
                1
            )
            self.original = None

        @task
        def save_and_check(self):
            started = time.monotonic()
            parser = FormFields("event_form")
            parser.feed(self.client.get(self.change, name="admin: open event").text)
            fields = [(k, v) for k, v in parser.fields if "__prefix__" not in k]
            title = dict(fields)["title"]
            self.original = self.original or re.sub(r" \(load edit \d+\)$", "", title)
            Editor.saves += 1
            new_title = f"{self.original} (load edit {Editor.saves})"
            fields = [(k, new_title if k == "title" else v) for k, v in fields]
            with self.client.post(
                self.change,
                data=urlencode(fields),
                headers=posted(base, headers),
                name="admin: save event",
                allow_redirects=False,
                catch_response=True,
            ) as saved:
                if saved.status_code != 302:
                    saved.failure(f"the save answered {saved.status_code}")
                    return
            for path, name in (
                (plan["edited"], "after save: event page"),
                ("/events/", "after save: /events/"),
            ):
                with self.reader.get(
                    path, name=name, headers=headers, catch_response=True
                ) as answer:
                    if answer.status_code != 200 or not answer.text:
                        answer.failure(f"{path} answered {answer.status_code} after the save")
                    elif escape_title(new_title) not in answer.text:
                        answer.failure(f"{path} does not show the save at the next request")
            time.sleep(max(0.0, seconds_between_saves - (time.monotonic() - started)))

        def on_stop(self):
            if self.original:
                parser = FormFields("event_form")
                parser.feed(self.client.get(self.change, name="admin: open event").text)
                fields = [(k, self.original if k == "title" else v) for k, v in parser.fields]
                fields = [(k, v) for k, v in fields if "__prefix__" not in k]
                self.client.post(
                    self.change,
                    data=urlencode(fields),
                    headers=posted(base, headers),
                    name="admin: put the title back",
                    allow_redirects=False,
                )

    return Reader, Editor


def escape_title(title):
    return title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def origin(base, headers):
    return base.replace("http://", "https://", 1) if headers else base


def report(environment, seconds, editor_class, users):
    total = environment.stats.total
    who = f"{users} readers and one editor" if editor_class else f"{users} readers, no editor"
    print(f"\n{total.num_requests:,} requests in {seconds} s by {who}")
    print(f"  requests/s  {total.total_rps:8.1f}")
    print(f"  p50         {total.get_response_time_percentile(0.5):8.0f} ms")
    print(f"  p99         {total.get_response_time_percentile(0.99):8.0f} ms")
    print(f"  errors      {total.num_failures:8d}")
    if editor_class:
        print(
            f"  saves       {editor_class.saves:8d} (each checked on the event page and /events/)"
        )
    for name in sorted(environment.stats.entries):
        entry = environment.stats.entries[name]
        print(
            f"    {name[1]} {name[0]:<32} {entry.num_requests:6d} requests"
            f"  p50 {entry.get_response_time_percentile(0.5):6.0f} ms"
            f"  p99 {entry.get_response_time_percentile(0.99):6.0f} ms"
        )
    for error in environment.stats.errors.values():
        print(
            f"  error: {error.occurrences} × {error.method} {error.name}: "
            f"{unescape(str(error.error))}"
        )
    return total.num_failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="http://127.0.0.1:8000")
    parser.add_argument("--editor", help="a user who can change events")
    parser.add_argument(
        "--floor",
        metavar="PATH",
        help="no mix and no editor: every reader asks for PATH (a 404 page, a cached page)",
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--no-proxy-header", action="store_true")
    args = parser.parse_args()
    base = loopback_only(args.host)
    seconds = min(max(args.seconds, 1), MAX_SECONDS)
    password = os.environ.get("TRACKER_LOAD_PASSWORD")
    if not args.floor and not (args.editor and password):
        sys.exit("Give --editor, and set TRACKER_LOAD_PASSWORD to the editor's password.")
    headers = {} if args.no_proxy_header else PROXY_HEADERS

    import gevent
    from locust.env import Environment

    if args.floor:
        users, editor = floor_users(base, args.floor, headers), None
    else:
        plan = discover(base, headers)
        reader, editor = build_users(base, plan, args.editor, password, headers)
        users = [reader, editor]
    environment = Environment(user_classes=users, host=base)
    runner = environment.create_local_runner()
    runner.start(args.users + (editor is not None), spawn_rate=args.users + 1)
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    sys.exit(1 if report(environment, seconds, editor, args.users) else 0)


if __name__ == "__main__":
    main()
