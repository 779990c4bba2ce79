/* Slugs keep word breaks at dashes: “Colombia–FARC talks” → colombia-farc-talks.
 *
 * Django's URLify drops the en dash and runs the words together. Every dash (Unicode
 * category Pd) and slash becomes a hyphen before URLify sees the text: the same rule as
 * tracker.slugs.slug_from on the server. Wrapped once the page has loaded, whatever the
 * order the admin loads its scripts in.
 */
"use strict";
window.addEventListener("DOMContentLoaded", () => {
  const urlify = window.URLify;
  if (typeof urlify !== "function" || urlify.keepsDashes) {
    return;
  }
  const wrapped = (text, maxLength, allowUnicode) =>
    urlify(String(text).replace(/[\p{Pd}\/]/gu, "-"), maxLength, allowUnicode);
  wrapped.keepsDashes = true;
  window.URLify = wrapped;
});
