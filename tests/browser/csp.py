"""Catching Content-Security-Policy violations in the browser.

The listener is installed with ``add_init_script``, so it runs in every document before
any of the page's own scripts; each ``securitypolicyviolation`` event is kept with the
directive it broke and what it blocked.
"""

LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} at ${location.pathname}`
  );
});
"""


def listen(context_or_page):
    context_or_page.add_init_script(LISTENER)


def violations(page):
    return page.evaluate("() => window.__cspViolations")
