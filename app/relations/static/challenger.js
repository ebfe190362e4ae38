/*
 * Challenger panel: GET /v1/model/challenger -> live agreement of the `challenger` alias's
 * version with the champion, the confusion table, confidence histograms and the disagreements
 * a reviewer should read before promoting. Hidden when no shadow run was ever recorded.
 */
(function () {
  "use strict";

  function $(id) { return document.getElementById(id); }

  function pct(x) { return x === null || x === undefined ? "n/a" : (100 * x).toFixed(1) + "%"; }

  function cell(tag, text, cls) {
    var el = document.createElement(tag);
    el.textContent = text;
    if (cls) el.className = cls;
    return el;
  }

  function stat(label, value) {
    var box = document.createElement("div");
    box.className = "stat";
    box.appendChild(cell("span", label, "stat-label"));
    box.appendChild(cell("span", value, "stat-value"));
    return box;
  }

  function confusion(c) {
    var table = $("challenger-confusion");
    table.textContent = "";
    var head = document.createElement("tr");
    head.appendChild(cell("th", "champion \u2193 / challenger \u2192"));
    c.labels.forEach(function (l) { head.appendChild(cell("th", l)); });
    table.appendChild(head);
    c.labels.forEach(function (row) {
      var tr = document.createElement("tr");
      tr.appendChild(cell("th", row));
      c.labels.forEach(function (col) {
        var n = (c.confusion[row] || {})[col] || 0;
        tr.appendChild(cell("td", String(n), row === col ? "diag" : ""));
      });
      table.appendChild(tr);
    });
  }

  function confidence(c) {
    var table = $("challenger-confidence");
    table.textContent = "";
    var head = document.createElement("tr");
    head.appendChild(cell("th", "top probability"));
    for (var i = 0; i < c.confidence_bins; i++) {
      head.appendChild(cell("th", (i / c.confidence_bins).toFixed(1)));
    }
    table.appendChild(head);
    [["champion", c.champion_confidence], ["challenger", c.challenger_confidence]].forEach(function (pair) {
      var total = pair[1].reduce(function (a, b) { return a + b; }, 0) || 1;
      var tr = document.createElement("tr");
      tr.appendChild(cell("th", pair[0]));
      pair[1].forEach(function (n) { tr.appendChild(cell("td", Math.round(100 * n / total) + "%")); });
      table.appendChild(tr);
    });
  }

  function disagreements(c) {
    var table = $("challenger-disagreements");
    var body = table.querySelector("tbody");
    body.textContent = "";
    c.disagreements.forEach(function (d) {
      var tr = document.createElement("tr");
      tr.className = "disagreement-row";
      tr.appendChild(cell("td", d.champion_label + " " + d.champion_confidence.toFixed(2)));
      tr.appendChild(cell("td", d.challenger_label + " " + d.challenger_confidence.toFixed(2)));
      tr.appendChild(cell("td", d.text));
      body.appendChild(tr);
    });
    table.hidden = c.disagreements.length === 0;
    var sources = c.disagreement_sources || [];
    $("challenger-withheld").hidden = sources.indexOf("api") >= 0;
  }

  function render(body) {
    var c = body.comparison;
    var panel = $("challenger");
    if (!c) { panel.hidden = true; return; }
    panel.hidden = false;
    panel.setAttribute("data-status", c.status);
    $("challenger-title").textContent = "Challenger v" + c.challenger_version + " vs champion v" + c.champion_version;
    var mirror = body.mirror;
    $("challenger-hint").textContent = c.status + (mirror ? " \u00b7 shadow budget used " +
      pct(mirror.budget_ratio) + " of " + pct(mirror.cpu_budget) : "");
    var ci = c.agreement_ci95 ? pct(c.agreement_ci95[0]) + "\u2013" + pct(c.agreement_ci95[1]) : "n/a";
    var summary = $("challenger-summary");
    summary.textContent = "";
    summary.appendChild(stat("agreement", pct(c.agreement)));
    summary.appendChild(stat("95% interval", ci));
    summary.appendChild(stat("sentences compared", String(c.n)));
    Object.keys(c.by_source).forEach(function (s) { summary.appendChild(stat("from " + s, String(c.by_source[s].n))); });
    summary.appendChild(stat("disagreements stored", String(c.disagreements_stored)));
    confusion(c);
    confidence(c);
    disagreements(c);
  }

  function load() {
    fetch("/v1/model/challenger?samples=10", { headers: { Accept: "application/json" } })
      .then(function (resp) { return resp.ok ? resp.json() : { comparison: null }; })
      .then(render)
      .catch(function () { $("challenger").hidden = true; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    load();
    setInterval(load, 30000);
  });
  window.challengerPanel = { load: load };
})();
