// piaojue: finding a deputy among hundreds as you type, on forms that work without it.
//
// A list of check boxes (`data-deputy-search="many"`, the deputies present at an acceptance) gets a
// search box above it: what does not match is hidden (the boxes stay in the form, ticked or not), and
// the deputies ticked so far are listed with a button to take each off. A select
// (`data-deputy-search="one"`, a custodian) becomes a search box with a list of matches under it;
// picking one sets the select, which stays in the form and is what is sent. Each item to find carries
// `data-search`: name, deputy number, delegation. Typing 李 王 finds who matches both words.
// Keyboard: ↓ and ↑ move through the matches, Enter picks, Esc closes; every target is large enough
// for a finger. Without this script the full list or the select is there as before.
(function () {
  "use strict";

  var SHOWN = 12;  // matches listed under a single choice; type more to narrow

  function words(text) { return (text || "").toLowerCase().split(/[\s,，、]+/).filter(Boolean); }
  function matches(item, query) {
    var haystack = (item.getAttribute("data-search") || item.textContent).toLowerCase();
    return query.every(function (word) { return haystack.indexOf(word) >= 0; });
  }
  function element(tag, attributes, text) {
    var made = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { made.setAttribute(name, attributes[name]); });
    if (text) { made.textContent = text; }
    return made;
  }
  var made = 0;
  function newId(prefix) { made += 1; return prefix + "-" + made; }

  function searchBox(labelText) {
    var id = newId("deputy-search");
    var label = element("label", { "for": id, "class": "deputy-search-label" }, labelText);
    var input = element("input", { id: id, type: "search", autocomplete: "off", spellcheck: "false",
                                   "class": "deputy-search", placeholder: "输入姓名、代表团或代表证号" });
    return { label: label, input: input };
  }

  // --- many: a list of check boxes ----------------------------------------------------------
  function setupMany(picker) {
    var items = Array.prototype.slice.call(picker.querySelectorAll("label.check[data-search]"));
    var groups = Array.prototype.slice.call(picker.querySelectorAll(".deputy-group"));
    var box = searchBox("查找代表");
    var status = element("p", { "class": "hint deputy-search-status", "aria-live": "polite" });
    var chosen = element("div", { "class": "deputy-chosen", "aria-live": "polite" });
    var tools = element("div", { "class": "deputy-search-tools" });
    tools.append(box.label, box.input, status, chosen);
    var legend = picker.querySelector("legend");
    legend.after(tools);

    function filter() {
      var query = words(box.input.value);
      var found = 0;
      items.forEach(function (item) {
        var hit = !query.length || matches(item, query);
        item.hidden = !hit;
        if (hit) { found += 1; }
      });
      groups.forEach(function (group) { group.hidden = !group.querySelector("label.check:not([hidden])"); });
      status.textContent = !query.length ? "共 " + items.length + " 位代表，输入姓名、代表团或代表证号查找。"
        : found ? "找到 " + found + " 位代表。" : "没有找到“" + box.input.value.trim() + "”，请换个写法。";
    }
    function listChosen() {
      chosen.textContent = "";
      var ticked = items.filter(function (item) { return item.querySelector("input").checked; });
      chosen.append(element("span", { "class": "deputy-chosen-count" },
                            ticked.length ? "已选 " + ticked.length + " 位：" : "还没有选择代表。"));
      ticked.forEach(function (item) {
        var input = item.querySelector("input");
        var name = item.getAttribute("data-name") || item.textContent.trim();
        var off = element("button", { type: "button", "class": "button small deputy-chip" });
        off.append(element("span", { "class": "sr-only" }, "取消选择 "), name + " ×");
        off.addEventListener("click", function () {
          input.checked = false;
          listChosen();
          box.input.focus();
        });
        chosen.append(off);
      });
    }
    function visible() { return items.filter(function (item) { return !item.hidden; }); }
    box.input.addEventListener("input", filter);
    box.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {  // never sends the form from here: ticks the only (or first) match
        event.preventDefault();
        var first = visible()[0];
        if (first && box.input.value.trim()) {
          first.querySelector("input").checked = true;
          listChosen();
          box.input.value = "";
          filter();
        }
      } else if (event.key === "ArrowDown") {
        var next = visible()[0];
        if (next) { event.preventDefault(); next.querySelector("input").focus(); }
      } else if (event.key === "Escape") {
        box.input.value = "";
        filter();
      }
    });
    picker.addEventListener("change", listChosen);
    filter();
    listChosen();
  }

  // --- one: a select ------------------------------------------------------------------------
  function setupOne(select) {
    var options = Array.prototype.slice.call(select.options).filter(function (o) { return o.value; });
    var outer = select.closest("label");
    var box = searchBox(outer ? outer.firstChild.textContent.trim() : "查找代表");
    var list = element("ul", { id: newId("deputy-options"), role: "listbox", "class": "deputy-options" });
    var status = element("p", { "class": "hint deputy-search-status", "aria-live": "polite" });
    box.input.setAttribute("role", "combobox");
    box.input.setAttribute("aria-autocomplete", "list");
    box.input.setAttribute("aria-expanded", "false");
    box.input.setAttribute("aria-controls", list.id);
    list.hidden = true;
    var wrapper = element("div", { "class": "deputy-combo" });
    wrapper.append(box.label, box.input, list, status);
    (outer || select).after(wrapper);
    (outer || select).hidden = true;  // still in the form: picking sets it, and it is what is sent
    var active = -1;

    function textOf(option) { return option.textContent.trim(); }
    function chosenOption() { return options.filter(function (o) { return o.selected; })[0]; }
    function close() {
      list.hidden = true;
      box.input.setAttribute("aria-expanded", "false");
      box.input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function mark(n) {
      var rows = list.querySelectorAll("[role=option]");
      rows.forEach(function (row, i) { row.setAttribute("aria-selected", i === n ? "true" : "false"); });
      active = n;
      if (rows[n]) {
        box.input.setAttribute("aria-activedescendant", rows[n].id);
        rows[n].scrollIntoView({ block: "nearest" });
      }
    }
    function pick(option) {
      select.value = option.value;
      box.input.value = textOf(option);
      status.textContent = "已选：" + textOf(option);
      close();
    }
    function show() {
      var query = words(box.input.value);
      var found = options.filter(function (o) { return query.length && matches(o, query); });
      list.textContent = "";
      found.slice(0, SHOWN).forEach(function (option) {
        var row = element("li", { id: newId("deputy-option"), role: "option", "aria-selected": "false",
                                  "class": "deputy-option" }, textOf(option));
        row.addEventListener("mousedown", function (event) { event.preventDefault(); });  // keep the focus
        row.addEventListener("click", function () { pick(option); });
        list.append(row);
      });
      list.hidden = !found.length;
      box.input.setAttribute("aria-expanded", found.length ? "true" : "false");
      active = -1;
      status.textContent = !query.length ? "" : !found.length ? "没有找到“" + box.input.value.trim() + "”，请换个写法。"
        : found.length > SHOWN ? "找到 " + found.length + " 位，显示前 " + SHOWN + " 位；再多输入几个字缩小范围。"
        : "找到 " + found.length + " 位代表。";
      return found.slice(0, SHOWN);
    }
    box.input.addEventListener("input", function () {
      var current = chosenOption();
      if (current && textOf(current) !== box.input.value) { select.value = ""; }  // typed over: no longer chosen
      show();
    });
    box.input.addEventListener("keydown", function (event) {
      var rows = list.querySelectorAll("[role=option]");
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) { show(); rows = list.querySelectorAll("[role=option]"); }
        if (rows.length) { mark((active + (event.key === "ArrowDown" ? 1 : rows.length - 1)) % rows.length); }
      } else if (event.key === "Enter") {
        if (!list.hidden && rows.length) {  // picks; the form is sent with the button
          event.preventDefault();
          rows[Math.max(active, 0)].click();
        }
      } else if (event.key === "Escape") {
        close();
      }
    });
    box.input.addEventListener("blur", function () { window.setTimeout(close, 150); });
    var current = chosenOption();
    if (current) { box.input.value = textOf(current); status.textContent = "已选：" + textOf(current); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll('[data-deputy-search="many"]').forEach(setupMany);
    document.querySelectorAll('select[data-deputy-search="one"]').forEach(setupOne);
  });
})();
