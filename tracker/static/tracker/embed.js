/* The event list's “Embed this timeline”: a button copies the code in its textarea. */
(function () {
  "use strict";

  function wire(button) {
    var source = document.getElementById(button.dataset.copy);
    var status = button.parentElement.querySelector(".copy-status");
    if (!source || !navigator.clipboard) {
      return; /* the code stays selectable by hand */
    }
    button.addEventListener("click", function () {
      source.select();
      navigator.clipboard.writeText(source.value).then(function () {
        if (status) {
          status.textContent = button.dataset.copied;
        }
      });
    });
    button.hidden = false;
  }

  document.querySelectorAll("button[data-copy]").forEach(wire);
})();
