// piaojue: the hall's big screen. Draws the state the server sends and keeps it live.
//
// The state arrives as server-sent events (EventSource reconnects by itself after a
// dropped connection). While the stream is down a small notice says so and the page
// asks for /state every 3 s instead, until the stream is back. Numbers and bars are
// updated in place; nothing is reloaded.
(function () {
  "use strict";

  var POLL_MS = 3000;
  var RECONNECT_MS = 2000;
  var SVG = "http://www.w3.org/2000/svg";
  var VALUE_LABELS = {
    "for": "赞成", "against": "不赞成", "abstain": "弃权",
    satisfied: "满意", basically_satisfied: "基本满意", dissatisfied: "不满意"
  };
  var STACKS = {
    approval: ["for"],
    satisfaction: ["satisfied", "basically_satisfied", "dissatisfied", "abstain"]
  };

  var body = document.body;
  var current = null;
  var source = null;
  var pollTimer = null;
  var chartKey = "";
  var winnersKey = "";

  function $(id) { return document.getElementById(id); }

  function setText(el, text) {
    text = text == null ? "" : String(text);
    if (el && el.textContent !== text) { el.textContent = text; }
  }

  function show(el, visible) { if (el) { el.hidden = !visible; } }

  function svg(name, attrs) {
    var el = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, attrs[k]); });
    return el;
  }

  function el(name, cls, text) {
    var node = document.createElement(name);
    if (cls) { node.className = cls; }
    if (text != null) { node.textContent = text; }
    return node;
  }

  // A number that counts up (or down) to its new value instead of jumping.
  function setNumber(node, value) {
    if (!node) { return; }
    var to = Number(value) || 0;
    var from = node.dataset.value === undefined ? null : Number(node.dataset.value);
    node.dataset.value = String(to);
    if (from === null || from === to || document.hidden) { node.textContent = String(to); return; }
    var start = null;
    function step(now) {
      if (node.dataset.value !== String(to)) { return; }  // a newer value took over
      if (start === null) { start = now; }
      var t = Math.min(1, (now - start) / 500);
      node.textContent = String(Math.round(from + (to - from) * (1 - Math.pow(1 - t, 3))));
      if (t < 1) { window.requestAnimationFrame(step); }
    }
    window.requestAnimationFrame(step);
  }

  function setWidth(rect, x, width) {
    rect.style.x = x + "px";
    rect.style.width = Math.max(0, width) + "px";
  }

  // Shrink a one-line heading until it fits its box (down to a floor; past that, an ellipsis).
  function fitText(node, maxRem, minRem) {
    if (!node) { return; }
    var size = maxRem;
    node.style.fontSize = size + "rem";
    while (size > minRem && node.scrollWidth > node.clientWidth + 1) {
      size = Math.max(minRem, size - 0.1);
      node.style.fontSize = size.toFixed(2) + "rem";
    }
  }

  // Shrink a heading that wraps until it takes at most two lines (a long title wraps, never cut).
  function fitLines(node, maxRem, minRem) {
    if (!node) { return; }
    var rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    var size = maxRem;
    node.style.fontSize = size + "rem";
    while (size > minRem && node.getBoundingClientRect().height > 2.6 * size * rem) {
      size = Math.max(minRem, size - 0.1);
      node.style.fontSize = size.toFixed(2) + "rem";
    }
  }

  function fitHeadings() {
    fitLines($("poll-title"), 3.3, 2.2);
    fitText($("session-name"), 2.1, 1.5);
  }

  function percent(part, whole) { return whole ? Math.round(100 * part / whole) : 0; }

  // --- the parts of the screen ------------------------------------------------------------

  function renderAttendance(a) {
    setNumber($("att-entitled"), a.entitled);
    setNumber($("att-present"), a.present);
    setNumber($("att-needed"), a.quorum_needed);
    var scale = Math.max(a.entitled, a.present, 1);
    setWidth($("att-bar"), 0, 1000 * a.present / scale);
    var q = 1000 * a.quorum_needed / scale;
    $("att-quorum").setAttribute("x1", q);
    $("att-quorum").setAttribute("x2", q);
    var state = $("att-state");
    setText(state, a.quorum_met ? "符合法定人数" : "尚不足法定人数");
    state.className = "quorum-state " + (a.quorum_met ? "met" : "unmet");
  }

  function renderFigures(s) {
    var p = s.poll, a = s.attendance, rows;
    if (!p) {
      rows = [["应到", a.entitled, "人"], ["实到", a.present, "人"], ["法定人数", a.quorum_needed, "人"]];
    } else {
      rows = [["实到", p.figures.present, "人"], ["发出", p.figures.issued, "张"], ["收回", p.figures.returned, "张"]];
    }
    rows.forEach(function (row, i) {
      setText($("fig-" + i + "-label"), row[0]);
      setNumber($("fig-" + i), row[1]);
      setText($("fig-" + i + "-unit"), row[2]);
    });
    var progress = $("progress");
    show(progress, !!p);
    if (!p) { return; }
    var f = p.figures;
    var scale = Math.max(f.present, f.issued, f.returned, 1);
    setWidth($("bar-issued"), 0, 1000 * f.issued / scale);
    setWidth($("bar-returned"), 0, 1000 * f.returned / scale);
    setText($("note-main"), "已收回 " + f.returned + " 张 · 占实到 " + percent(f.returned, f.present) + "%");
    setText($("note-extra"), f.issued > f.returned ? " · 尚有 " + (f.issued - f.returned) + " 张未收回" : "");
  }

  function renderMessage(s) {
    var main = "", sub = "";
    var p = s.poll;
    if (!p) {
      main = "等待票决开始";
      sub = s.attendance.quorum_met ? "出席代表已符合法定人数" : "代表正在签到";
    } else if (s.phase === "awaiting") {
      main = "计票完毕";
      sub = "待监票人确认后公布结果";
    } else if (s.phase === "counting" && !p.running) {
      main = "投票结束，正在计票";
      sub = "请稍候";
    } else if (s.phase === "voting" && !p.running) {
      main = "请各位代表投票";
      sub = p.method === "satisfaction" ? "逐项表示满意、基本满意或不满意" :
        "应选 " + (p.seats || "") + " 个，候选 " + p.candidate_count + " 个";
    } else if (s.phase === "published" && !p.result) {
      main = "结果已公布";
    }
    setText($("message-main"), main);
    setText($("message-sub"), sub);
    show($("message"), !!main);
  }

  // The chart: one row per candidate, a bar per value, the bar to clear as a dashed line.
  function buildChart(lines, method) {
    var rows = $("chart-rows");
    rows.textContent = "";
    rows.style.setProperty("--rows", String(Math.max(lines.length, 1)));
    lines.forEach(function (line, i) {
      var row = el("div", "row");
      row.dataset.ref = line.ref;
      row.appendChild(el("span", "row-no", String(i + 1)));
      row.appendChild(el("span", "row-label", line.title));
      var bar = svg("svg", { "class": "row-bar", viewBox: "0 0 1000 100", preserveAspectRatio: "none",
        "aria-hidden": "true" });
      bar.appendChild(svg("rect", { "class": "track", x: 0, y: 14, width: 1000, height: 72 }));
      STACKS[method].forEach(function (value) {
        var seg = svg("rect", { "class": "seg seg-" + value, x: 0, y: 14, width: 0, height: 72 });
        seg.dataset.value = value;
        bar.appendChild(seg);
      });
      bar.appendChild(svg("line", { "class": "req", x1: 0, x2: 0, y1: 0, y2: 100 }));
      row.appendChild(bar);
      row.appendChild(el("span", "row-value", ""));
      row.appendChild(el("span", "row-tag", ""));
      rows.appendChild(row);
    });
    var legend = $("legend");
    legend.textContent = "";
    if (method === "satisfaction") {
      STACKS.satisfaction.forEach(function (value) {
        var item = el("span", "key key-" + value, VALUE_LABELS[value]);
        legend.appendChild(item);
      });
    }
    legend.appendChild(el("span", "key key-req", ""));
  }

  function renderChart(s) {
    var p = s.poll;
    var data = p && (p.result || p.running);
    var chart = $("chart");
    if (!data || !data.candidates || !data.candidates.length || (p.result && p.result.status !== "valid" &&
        p.method === "satisfaction")) {
      show(chart, false);
      chartKey = "";
      return;
    }
    var mode = p.result ? "result" : "running";
    var method = p.method;
    var lines = data.candidates;
    var key = mode + "|" + method + "|" + lines.map(function (l) { return l.ref + ":" + l.title; }).join("|");
    if (key !== chartKey) { buildChart(lines, method); chartKey = key; }
    show(chart, true);

    var required = data.required || 0;
    var scale = Math.max(data.valid || 0, required, 1);
    lines.forEach(function (line) { STACKS[method].forEach(function (v) { scale = Math.max(scale, line[v] || 0); }); });
    if (method === "satisfaction") {
      lines.forEach(function (line) {
        var total = 0;
        STACKS.satisfaction.forEach(function (v) { total += line[v] || 0; });
        scale = Math.max(scale, total);
      });
    }
    var title;
    if (mode === "running") {
      title = (method === "approval" ? "赞成票" : "测评票数") + "（前 " + data.returned + " 张选票，以监票人确认的结果为准）";
    } else {
      title = method === "approval" ? "各项目赞成票" : "各项目测评情况";
    }
    setText($("chart-title"), title);
    var legendReq = document.querySelector("#legend .key-req");
    var reqWord = method === "approval" ? "当选线 " : "测评线 ";
    setText(legendReq, reqWord + required + " 票");
    show(legendReq, required > 0);

    var rows = $("chart-rows").children;
    lines.forEach(function (line, i) {
      var row = rows[i];
      var x = 0;
      row.querySelectorAll(".seg").forEach(function (seg) {
        var w = 1000 * (line[seg.dataset.value] || 0) / scale;
        setWidth(seg, x, w);
        x += w;
      });
      var rx = 1000 * required / scale;
      var req = row.querySelector(".req");
      req.setAttribute("x1", rx);
      req.setAttribute("x2", rx);
      show(req, required > 0);
      var cls = "row";
      var tag = "";
      if (method === "approval") {
        setNumber(row.querySelector(".row-value"), line["for"]);
        if (mode === "result") {
          setText(row.querySelector(".row-no"), line.rank);
          if (line.outcome === "winner") { cls += " win"; tag = "当选"; }
          else if (line.outcome === "runoff") { cls += " runoff"; tag = "另行票决"; }
          else { cls += " lose"; }
        }
      } else {
        setText(row.querySelector(".row-value"), (line.satisfied || 0) + " · " + (line.basically_satisfied || 0) +
          " · " + (line.dissatisfied || 0));
        if (mode === "result" && line.verdict) {
          cls += " verdict-" + line.verdict;
          tag = line.verdict_label;
        }
      }
      row.className = cls;
      setText(row.querySelector(".row-tag"), tag);
    });
    $("chart-rows").classList.toggle("with-tags", mode === "result");
    $("chart-rows").classList.toggle("satisfaction", method === "satisfaction");
  }

  function renderOutcome(s) {
    var p = s.poll;
    var r = p && p.result;
    show($("outcome"), !!r);
    if (!r) { winnersKey = ""; return; }
    var head = $("outcome-head"), list = $("winners"), note = $("outcome-note");
    var notes = [];
    if (r.status !== "valid") {
      setText(head, "本次票决无效：" + r.status_label);
      list.textContent = "";
      winnersKey = "";
    } else if (p.method === "approval") {
      var chosen = r.chosen || [];
      setText(head, "确定的民生实事项目（" + chosen.length + " 个）");
      var key = JSON.stringify(chosen);
      if (key !== winnersKey) {
        list.textContent = "";
        list.style.setProperty("--count", String(Math.max(chosen.length, 1)));
        chosen.forEach(function (item) {
          var li = el("li", item.round > 1 ? "later-round" : "");
          li.appendChild(el("span", "chosen-title", item.title));
          if (item.round > 1) { li.appendChild(el("span", "chosen-round", "另行票决")); }
          list.appendChild(li);
        });
        winnersKey = key;
      }
      if (r.runoff.length) {
        notes.push("得票相同需另行票决（" + r.runoff_seats + " 个名额）：" + r.runoff.join("、"));
      }
      if (r.shortfall) { notes.push("达到当选票数的项目不足应选数，尚缺 " + r.shortfall + " 个"); }
    } else {
      var counts = { satisfied: 0, basically_satisfied: 0, dissatisfied: 0 };
      r.candidates.forEach(function (c) { if (c.verdict) { counts[c.verdict] += 1; } });
      setText(head, "测评结果（" + r.candidates.length + " 个项目）");
      var skey = JSON.stringify(counts);
      if (skey !== winnersKey) {
        list.textContent = "";
        list.style.setProperty("--count", "3");
        ["satisfied", "basically_satisfied", "dissatisfied"].forEach(function (v) {
          var li = el("li", "verdict verdict-" + v);
          li.appendChild(el("span", "verdict-name", VALUE_LABELS[v]));
          li.appendChild(el("b", "verdict-count", String(counts[v])));
          li.appendChild(el("span", "verdict-unit", "项"));
          list.appendChild(li);
        });
        winnersKey = skey;
      }
    }
    notes.push("收回 " + r.returned + " 张，有效 " + r.valid + " 张" + (r.invalid ? "，无效 " + r.invalid + " 张" : ""));
    if (r.corrected) { notes.push("结果经更正"); }
    if (r.published_at) { notes.push("公布于 " + r.published_at); }
    note.textContent = "";
    notes.forEach(function (text) { note.appendChild(el("p", "", text)); });
  }

  // Check-ins and new login codes a second staff member approved while the poll is open.
  function renderAnnouncements(s) {
    var list = $("announcements");
    if (!list) { return; }
    var items = s.announcements || [];
    list.textContent = "";
    items.forEach(function (text) { list.appendChild(el("li", "", text)); });
    show(list, items.length > 0);
  }

  function render(s) {
    var p = s.poll;
    var classes = ["screen", "phase-" + s.phase];
    if (p && p.running) { classes.push("has-running"); }
    if (p && p.result) { classes.push("has-result"); }
    body.className = classes.join(" ");
    setText($("session-name"), s.session.name);
    document.title = "大屏 · " + s.session.name;
    setText($("poll-title"), p ? p.title : "民生实事项目票决");
    var round = $("round");
    setText(round, p && p.round_label ? p.round_label + (p.runoff_of ? " · " + p.runoff_of : "") : "");
    show(round, !!(p && p.round_label));
    setText($("phase"), s.phase_label);
    $("phase").className = "phase phase-" + s.phase;
    renderAttendance(s.attendance);
    renderFigures(s);
    renderMessage(s);
    renderChart(s);
    renderOutcome(s);
    renderAnnouncements(s);
    fitHeadings();
  }

  function apply(s) {
    if (!s || !s.version || (current && current.version === s.version)) { return; }
    current = s;
    render(s);
    body.dataset.version = s.version;
  }

  // --- staying live -------------------------------------------------------------------------

  function pollOnce() {
    return fetch(body.dataset.stateUrl, { cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(apply)
      .catch(function () { /* still offline; the next poll tries again */ });
  }

  function offline() {
    show($("conn"), true);
    body.classList.add("offline");
    if (pollTimer === null) {
      pollTimer = window.setInterval(pollOnce, POLL_MS);
      pollOnce();
    }
  }

  function online() {
    show($("conn"), false);
    body.classList.remove("offline");
    if (pollTimer !== null) { window.clearInterval(pollTimer); pollTimer = null; }
  }

  function connect() {
    if (!window.EventSource) { offline(); return; }
    var es = new EventSource(body.dataset.eventsUrl);
    source = es;
    es.addEventListener("open", function () { if (source === es) { online(); } });
    es.addEventListener("state", function (event) {
      if (source !== es) { return; }
      online();
      try { apply(JSON.parse(event.data)); } catch (e) { /* a broken event: the next one mends it */ }
    });
    // The server ends a stream after a while (and before a restart): open the next one now.
    es.addEventListener("reconnect", function () {
      if (source !== es) { return; }
      es.close();
      connect();
    });
    es.addEventListener("gone", function () {
      es.close();
      source = null;
      setText($("phase"), "没有这次会议");
    });
    es.addEventListener("error", function () {
      if (source !== es) { return; }
      offline();
      if (es.readyState === EventSource.CLOSED) {  // refused for good: try again ourselves
        es.close();
        window.setTimeout(function () { if (source === es) { connect(); } }, RECONNECT_MS);
      }
    });
  }

  function tick() {
    var now = new Date();
    var hh = String(now.getHours()).padStart(2, "0");
    var mm = String(now.getMinutes()).padStart(2, "0");
    setText($("clock"), hh + ":" + mm);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var initial = $("screen-state");
    try { apply(JSON.parse(initial.textContent)); } catch (e) { pollOnce(); }
    tick();
    window.setInterval(tick, 5000);
    window.addEventListener("resize", fitHeadings);
    connect();
  });
})();
