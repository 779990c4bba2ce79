"""The code other sites paste to frame the timeline of the events a page lists."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def embed_code(context):
    """``<iframe src=…>`` of ``/embed/timeline/`` with the page's filters (not its page
    number); the template shows it as text (``force_escape``)."""
    request = context["request"]
    query = request.GET.copy()
    query.pop("page", None)
    path = reverse("embed-timeline") + (f"?{query.urlencode()}" if query else "")
    return format_html(
        '<iframe src="{}" title="{}" width="100%" height="640" loading="lazy"></iframe>',
        request.build_absolute_uri(path),
        _("Timeline of peace negotiations"),
    )
