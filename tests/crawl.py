"""A reader's walk over the public site: the tests that must reach every kind of page
(cookies, escaping) follow links from a few starting points instead of keeping a list."""

import re
from urllib.parse import urljoin, urlsplit

from django.urls import resolve


def crawl(client, starts, *, per_pattern=3):
    """Visit the site as a reader following links, from ``starts``; at most ``per_pattern``
    pages of each URL pattern. Returns ``{url: response}``."""
    seen, queue, per_name = {}, list(starts), {}
    while queue:
        url = queue.pop(0)
        if url in seen or url.startswith(("/static/", "/admin/")):
            continue
        name = resolve(urlsplit(url).path).url_name
        if per_name.get(name, 0) >= per_pattern:
            continue
        per_name[name] = per_name.get(name, 0) + 1
        response = seen[url] = client.get(url)
        if response.streaming:
            response.content_bytes = b"".join(response.streaming_content)
            continue
        body = response.content.decode()
        # Links, sitemap entries, and the endpoint a timeline's script asks for more.
        pattern = r'href="([^"#]+)"|<loc>([^<]+)</loc>|"endpoint": ?"([^"]+)"'
        for found in re.findall(pattern, body):
            link = urljoin(url, "".join(found).replace("&amp;", "&"))  # "?page=2" too
            parts = urlsplit(link)
            if parts.netloc in ("", "testserver"):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen
