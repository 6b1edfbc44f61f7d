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

  // A page behind a login brought back by the back button from the browser's memory (a deputy's
  // ballot as they filled it in, after they voted or logged out): ask the server again instead.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && document.body.hasAttribute("data-private")) { window.location.reload(); }
  });

  // Another tab of this browser logged in or out (the tablet was handed on): a page left open
  // here belongs to the login before, so it is replaced at once, never shown to the next deputy.
  var LOGIN_KEY = "piaojue-login";
  function ownLogin() { return document.body.getAttribute("data-login") || ""; }
  function stale() {
    var now = null;
    try { now = window.localStorage.getItem(LOGIN_KEY); } catch (e) { return false; }
    return document.body.hasAttribute("data-private") && now !== null && now !== ownLogin();
  }
  function leave() { window.location.replace(window.location.pathname.indexOf("/console") === 0 ? "/console" : "/tablet"); }
  window.addEventListener("storage", function (event) { if (event.key === LOGIN_KEY && stale()) { leave(); } });
  document.addEventListener("visibilitychange", function () { if (!document.hidden && stale()) { leave(); } });
  document.addEventListener("DOMContentLoaded", function () {
    if (!document.body.hasAttribute("data-login")) { return; }  // public pages say nothing of logins
    try {
      if (window.localStorage.getItem(LOGIN_KEY) !== ownLogin()) { window.localStorage.setItem(LOGIN_KEY, ownLogin()); }
    } catch (e) { /* storage refused: the server still refuses forms of another login */ }
  });

  // 会前检查's clock: the server's time when the page was made against this browser's clock.
  document.addEventListener("DOMContentLoaded", function () {
    var row = document.getElementById("clock-check");
    if (!row) { return; }
    var gap = Math.abs(Date.now() - Date.parse(row.getAttribute("data-server-time"))) / 1000;
    var state = document.getElementById("clock-state"), text = document.getElementById("clock-gap");
    var off = gap > 120;
    row.classList.add(off ? "preflight-fail" : "preflight-ok");
    state.textContent = off ? "✗ 不通过" : "✓ 正常";
    text.textContent = off
      ? "与本电脑的时钟相差约 " + Math.round(gap / 60) + " 分钟：请校准服务器或本电脑的时钟，否则投票和公告的时间会记错。"
      : "与本电脑的时钟相差 " + Math.round(gap) + " 秒以内。";
  });

  // A print button (the key cards): the browser's print dialog, no inline script.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) { window.print(); }
  });

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

  // A form sent without leaving the page (a ballot's marks live only in it): the server answers
  // such a request (X-Requested-With) in place instead of redirecting; the form may be sent again.
  function postInPlace(form) {
    return fetch(form.action, {method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin",
                               headers: {"X-Requested-With": "piaojue"}})
      .then(function (response) { form.dataset.sent = ""; return response; },
            function (error) { form.dataset.sent = ""; throw error; });
  }

  // 大字: the deputy's text size, switched in place (no page is left, so no mark on the ballot is
  // lost) and kept with the deputy by the server; without script the form goes and comes back.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-text-size") || !window.fetch) { return; }
    event.preventDefault();
    var large = form.querySelector("input[name=large]");
    var button = form.querySelector("button");
    postInPlace(form)
      .then(function (response) {
        if (response.status !== 204) { return; }
        var on = large.value === "1";
        document.body.classList.toggle("large-text", on);
        button.setAttribute("aria-pressed", on ? "true" : "false");
        large.value = on ? "0" : "1";
      })
      .catch(function () {});
  });

  // Where the congress has a second language, the page carries what the script says in both
  // (<template class="said" data-said="…">, made by voting.bilingual): `said` gives a copy with its
  // {placeholders} filled in, and `tell` puts it in an element, or the Chinese alone without one.
  function said(name, values) {
    var found = null;
    document.querySelectorAll("template.said").forEach(function (t) {
      if (t.getAttribute("data-said") === name) { found = t; }
    });
    if (!found) { return null; }
    var copy = found.content.cloneNode(true);
    var walker = document.createTreeWalker(copy, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      walker.currentNode.nodeValue = walker.currentNode.nodeValue.replace(/\{([a-z_]+)\}/g, function (all, key) {
        return values && Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : all;
      });
    }
    return copy;
  }
  function tell(element, name, values, chinese) {
    var both = said(name, values);
    element.textContent = both ? "" : chinese;
    if (both) { element.appendChild(both); }
  }

  // 请求协助: sent in place (the marks live only in this page, so it is never left); the button
  // then says help is on the way, and the page says what the server answered. Without script the
  // form goes and comes back with the same message.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-help") || !window.fetch) { return; }
    event.preventDefault();
    var review = document.querySelector(".review-step");
    form.querySelector("input[name=place]").value = review && !review.hidden ? "review"
      : document.querySelector(".ballot-step") ? "ballot" : /^\/tablet\/?$/.test(location.pathname) ? "home" : "other";
    var button = form.querySelector("button");
    var status = document.querySelector(".help-status");
    postInPlace(form)
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (answer) {
        tell(button, "已请求协助", null, "已请求协助");
        if (status) { tell(status, answer, null, answer); status.hidden = false; }
      })
      .catch(function () {
        if (status) { status.textContent = "请求没有送出（网络不通）。请举手示意工作人员。"; status.hidden = false; }
      });
  });

  // The ballot: count approvals against the maximum and stop a deputy going over; 下一步 shows the
  // choices back on this same page (核对选票), 返回修改 returns to them. The marks live only in this
  // page: they are in no form, and what 确认投票 sends is their sealed box (static/sealed_ballot.js).
  function marksOf(ballot) {
    var marks = {};
    ballot.querySelectorAll("li.candidate").forEach(function (item) {
      var chosen = item.querySelector("input[type=radio]:checked");
      if (chosen) { marks[item.getAttribute("data-ref")] = chosen.value; }
    });
    return marks;
  }
  function setupBallot(ballot) {
    var cap = parseInt(ballot.getAttribute("data-cap") || "0", 10);
    var labels = JSON.parse(ballot.getAttribute("data-labels") || "{}");
    var review = document.querySelector(".review-step");
    var counter = document.querySelector(".counter");
    var value = counter && counter.querySelector(".counter-value");
    var error = ballot.querySelector(".ballot-error");
    // A fresh page starts blank, whatever the browser would restore: the tablet may have changed hands.
    ballot.querySelectorAll("input[type=radio]").forEach(function (input) { input.checked = false; });
    function refresh() {
      if (!cap) { return; }
      var chosen = ballot.querySelectorAll('input[type=radio][value="for"]:checked').length;
      if (value) { value.textContent = String(chosen); }
      var text = counter && counter.querySelector(".counter-text");
      if (text) { tell(text, "counter", { count: chosen }, ""); }
      var full = chosen >= cap;
      if (counter) { counter.classList.toggle("full", full); }
      ballot.querySelectorAll('input[type=radio][value="for"]').forEach(function (input) {
        input.disabled = full && !input.checked;
      });
    }
    function show(step) {
      ballot.hidden = step !== "ballot";
      if (review) { review.hidden = step !== "review"; }
      window.scrollTo(0, 0);
    }
    function toReview() {
      var marks = marksOf(ballot);
      var approvals = Object.keys(marks).filter(function (ref) { return marks[ref] === "for"; }).length;
      if (cap && approvals > cap) {
        tell(error, "over-cap", { count: approvals }, "赞成不能超过 " + cap + " 个，您选了 " + approvals + " 个。请改选后再核对。");
        error.hidden = false;
        return;
      }
      error.hidden = true;
      var unmarked = 0;
      review.querySelectorAll(".review-row").forEach(function (row) {
        var mark = marks[row.getAttribute("data-ref")];
        var shown = row.querySelector(".mark");
        shown.className = "mark mark-" + (mark || "none");
        tell(shown, "mark-" + (mark || "none"), null, mark ? labels[mark] : "未选择（未表态）");
        row.classList.toggle("review-unmarked", !mark);
        if (!mark) { unmarked += 1; }
      });
      var count = review.querySelector(".review-approvals");
      if (count) { count.textContent = String(approvals); }
      var unmarkedText = review.querySelector(".review-unmarked-text");
      if (unmarkedText) { tell(unmarkedText, "unmarked", { count: unmarked }, ""); }
      else { review.querySelector(".review-unmarked").textContent = String(unmarked); }
      review.querySelector(".unmarked-note").hidden = !unmarked;
      show("review");
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
    var next = ballot.querySelector(".to-review");
    next.disabled = false;
    next.addEventListener("click", toReview);
    if (review) { review.querySelector(".to-ballot").addEventListener("click", function () { show("ballot"); }); }
    refresh();
  }

  // Seal the marks into the cast form; false (with a message) if this tablet cannot.
  function sealInto(form) {
    var ballot = document.querySelector(".ballot-step");
    var field = form.querySelector('input[name="sealed"]');
    if (!ballot || !field) { return true; }
    try {
      field.value = window.piaojueSeal(ballot.getAttribute("data-public-key"), ballot.getAttribute("data-poll-ref"),
                                       marksOf(ballot), parseInt(ballot.getAttribute("data-padded-length"), 10));
      return true;
    } catch (e) {
      var note = document.querySelector(".cast-status");
      if (note) {
        note.textContent = "这台平板无法加密选票，选票没有投出。请举手示意工作人员，领取纸质选票。";
        note.hidden = false;
      }
      return false;
    }
  }

  // Casting the ballot outlives a dropped network or a server restart: the tablet sends the
  // same ballot again until the server answers, then shows the server's page. The server
  // takes a deputy's ballot once; a copy that arrives after the first went in is refused as
  // already voted, so resending is always safe. Without this script the form posts as usual.
  var RETRY_FOR_MS = 180000;
  function showPage(html) {
    var next = new DOMParser().parseFromString(html, "text/html");
    document.title = next.title;
    document.body.replaceWith(document.adoptNode(next.body));
    window.scrollTo(0, 0);
  }
  function disable(control) { control.disabled = true; control.setAttribute("aria-disabled", "true"); control.classList.add("disabled"); }
  function enable(control) { control.disabled = false; control.removeAttribute("aria-disabled"); control.classList.remove("disabled"); }
  function castWithRetry(form) {
    var buttons = document.querySelectorAll(".actions button, .actions a.button");  // 确认投票 and 返回修改: neither while sending
    var note = document.querySelector(".cast-status");
    var body = new URLSearchParams(new FormData(form));
    var started = Date.now();
    var attempt = 0;
    function say(text, name) { if (note) { tell(note, name || "", null, text); note.hidden = !text; } }
    function again() {
      attempt += 1;
      if (Date.now() - started > RETRY_FOR_MS) {
        say("仍然无法连接服务器，选票尚未确认投出。请举手示意工作人员，然后再按“确认投票”。");
        buttons.forEach(enable);
        form.dataset.sent = "";
        return;
      }
      say("网络中断，正在重新提交（第 " + attempt + " 次）……请不要离开本页。");
      window.setTimeout(send, Math.min(1000 * attempt, 5000));
    }
    function send() {
      fetch(form.action, { method: "POST", body: body, credentials: "same-origin",
                           headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (response.status >= 502 && response.status <= 504) { again(); return null; }
          // The server answers with a redirect to a plain page (投票完成, 已投票): show it under its own
          // address, so reloading or going back asks the server again and never re-sends a form.
          return response.text().then(function (html) {
            if (response.redirected && window.history.replaceState) { window.history.replaceState(null, "", response.url); }
            showPage(html);
          });
        })
        .catch(again);
    }
    buttons.forEach(disable);
    say("正在提交……", "sending");
    send();
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.matches("form.cast-form")) { return; }
    if (!sealInto(form)) {  // sealed afresh each time: the marks may have changed since
      event.preventDefault();
      form.dataset.sent = "";
      return;
    }
    if (!window.fetch || !window.DOMParser) { return; }  // the sealed box goes as a plain form post
    event.preventDefault();
    castWithRetry(form);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".ballot-step").forEach(setupBallot);
  });
})();
