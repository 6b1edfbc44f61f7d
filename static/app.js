// piaojue: small behaviours on top of pages that work without them.
(function () {
  "use strict";

  // Confirm before an irreversible step (open a poll, close it, reissue a code).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    // One tap is enough: stop a double tap from sending the form twice.
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    form.dataset.sent = "1";
    window.setTimeout(function () { form.dataset.sent = ""; }, 8000);
  }, true);

  // The ballot: count approvals against the maximum and stop a deputy going over.
  function setupBallot(ballot) {
    var cap = parseInt(ballot.getAttribute("data-cap") || "0", 10);
    var counter = document.querySelector(".counter");
    var value = counter && counter.querySelector(".counter-value");
    function refresh() {
      if (!cap) { return; }
      var chosen = ballot.querySelectorAll('input[type=radio][value="for"]:checked').length;
      if (value) { value.textContent = String(chosen); }
      var full = chosen >= cap;
      if (counter) { counter.classList.toggle("full", full); }
      ballot.querySelectorAll('input[type=radio][value="for"]').forEach(function (input) {
        input.disabled = full && !input.checked;
      });
    }
    ballot.addEventListener("change", refresh);
    ballot.querySelectorAll("[data-clear]").forEach(function (button) {
      button.addEventListener("click", function () {
        ballot.querySelectorAll('input[name="' + button.getAttribute("data-clear") + '"]').forEach(function (input) {
          input.checked = false;
        });
        refresh();
      });
    });
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.ballot").forEach(setupBallot);
  });
})();
