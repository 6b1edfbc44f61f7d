// piaojue: small behaviours on top of pages that work without them.
(function () {
  "use strict";

  // A file input with limits (the proposal form): say at once, in words, when a file is too
  // large or there are too many, so nothing typed is lost to a refused upload.
  function checkFiles(input) {
    var maxBytes = parseInt(input.getAttribute("data-max-bytes") || "0", 10);
    var maxFiles = parseInt(input.getAttribute("data-max-files") || "0", 10);
    var files = input.files || [];
    var message = "";
    if (maxFiles && files.length > maxFiles) {
      message = "最多选择 " + maxFiles + " 个文件，您选了 " + files.length + " 个，请重新选择。";
    }
    for (var i = 0; !message && i < files.length; i++) {
      if (maxBytes && files[i].size > maxBytes) {
        message = "“" + files[i].name + "”超过 " + Math.round(maxBytes / 1048576) + " MB，请换一个较小的文件。";
      }
    }
    input.setCustomValidity(message);
    var note = document.getElementById(input.getAttribute("data-message") || "");
    if (note) { note.textContent = message; note.hidden = !message; }
    return !message;
  }
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=file][data-max-bytes]")) { checkFiles(input); }
  });
  document.addEventListener("submit", function (event) {
    event.target.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
      if (!checkFiles(input)) { event.preventDefault(); event.stopImmediatePropagation(); input.focus(); }
    });
  }, true);  // before the double-tap guard below, so a refused choice does not count as sent

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
