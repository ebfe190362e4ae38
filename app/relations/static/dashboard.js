/* Relation index dashboard: plain JS over the JSON API, charts by the vendored uPlot.
 *
 * GET /v1/relations           -> grid of pair cards with sparklines
 * GET /v1/relations/{pair}    -> the pair's series: daily score, 95% band, 7d and 30d lines
 * GET /v1/relations/{pair}/days/{day}/sentences -> the sentences behind a clicked day
 * GET /v1/relations/alerts    -> pairs whose last 7 days left the 30 days' range (cards flagged)
 * GET /v1/monitoring/drift    -> the version's drift statistics per day, events, estimated accuracy
 * The default version is the live one; after a promotion the previous version's 7-day line is
 * overlaid (compare_version) with a marker at the moment the live version changed.
 * GET /v1/model               -> the serving model (optional: the page works without it)
 */
(function () {
  "use strict";

  var COOP = "#1a9850", CONF = "#d73027", ACCENT = "#3056d3", MUTED = "#8a93a3";
  var SHARE_COLORS = {
    material_cooperation: "#1a9850", verbal_cooperation: "#91cf60", cooperation: "#1a9850", good: "#1a9850",
    neutral: "#c9ced6",
    verbal_conflict: "#fc8d59", material_conflict: "#d73027", conflict: "#d73027", bad: "#d73027"
  };
  var SHARE_ORDER = ["material_cooperation", "verbal_cooperation", "cooperation", "good", "neutral",
    "verbal_conflict", "conflict", "bad", "material_conflict"];

  var state = { version: null, pair: null, days: 180, series: null, chart: null, volume: null, directed: null, sparks: [],
    compare: null, compareChosen: false, alerts: {} };
  var COMPARE = "#9b59b6";
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function fmt(x, digits) {
    if (x === null || x === undefined || isNaN(x)) return "–";
    var s = Number(x).toFixed(digits === undefined ? 2 : digits);
    return x > 0 ? "+" + s : s.replace("-", "−");
  }

  function tone(x) { return x === null || x === undefined ? "zero" : x > 0.02 ? "pos" : x < -0.02 ? "neg" : "zero"; }

  function labelTone(label) {
    return /cooperation|good/.test(label) ? "pos" : /conflict|bad/.test(label) ? "neg" : "zero";
  }

  function dayTs(iso) { return Date.parse(iso + "T00:00:00Z") / 1000; }
  function tsDay(ts) { return new Date(ts * 1000).toISOString().slice(0, 10); }
  function utc(ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); }

  function showStatus(message, isError) {
    var box = $("status");
    if (!message) { box.hidden = true; return; }
    box.hidden = false;
    box.className = "status" + (isError ? " error" : "");
    box.textContent = message;
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" } }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        if (!resp.ok) {
          var err = new Error(body.detail || body.error || ("HTTP " + resp.status));
          err.status = resp.status;
          throw err;
        }
        return body;
      });
    });
  }

  function qs(params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      if (params[k] !== null && params[k] !== undefined && params[k] !== "") {
        parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(params[k]));
      }
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  /* ---- serving model (GET /v1/model, owned by the serving side; optional) ---- */
  function when(value) {
    if (value === null || value === undefined || value === "") return null;
    var d = typeof value === "number" ? new Date(value > 1e12 ? value : value * 1000) : new Date(value);
    return isNaN(d.getTime()) ? null : d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  function loadServingModel() {
    getJSON("/v1/model").then(function (m) {
      var s = m.serving || m.model || m;
      var following = m.following || {};
      if (!s || !s.version) {
        $("serving-model").textContent = "no model live";
        $("serving-since").textContent = following.registry_error || "promote a version in MLflow";
        return;
      }
      $("serving-model").textContent = (s.name || "model") + " v" + s.version + (s.variant ? " " + s.variant : "");
      var promoted = when(s.promoted_at || following.promoted_at || m.promoted_at);
      var loaded = when(s.loaded_at);
      var since = promoted ? "promoted " + promoted
        : loaded ? "loaded " + loaded + (s.via ? " (" + s.via + ")" : "") : (s.via || "");
      // The registry may name another live version than the one served (loading, or refused).
      var live = following.registry_live_version;
      if (live && String(live) !== String(s.version)) {
        var why = following.load_error && following.load_error.error ? ": " + following.load_error.error : " (loading)";
        since = "registry names v" + live + " live" + why;
      }
      $("serving-since").textContent = since;
      var pending = m.pending_by_language || {};
      var waiting = Object.keys(pending).filter(function (k) { return pending[k] > 0; });
      $("serving-pending").textContent = "reads " + (s.languages || ["en"]).join(", ") + (waiting.length
        ? " · pending: " + waiting.map(function (k) { return pending[k] + " " + k; }).join(", ") + " sentences"
        : "");
    }).catch(function () {
      $("serving-model").textContent = "unknown";
      $("serving-since").textContent = "/v1/model not available";
    });
  }

  /* ---- pair grid ---- */
  function sparkline(container, points) {
    var xs = points.map(function (p) { return dayTs(p.day); });
    var daily = points.map(function (p) { return p.score; });
    var smooth = points.map(function (p) { return p.score_7d; });
    var width = Math.max(120, container.clientWidth || 180);
    return new uPlot({
      width: width, height: 44, pxAlign: false, tzDate: utc,
      cursor: { show: false }, legend: { show: false }, select: { show: false },
      scales: { x: { time: true }, y: { auto: false, range: [-1, 1] } },
      axes: [{ show: false }, { show: false }],
      series: [
        {},
        { stroke: "rgba(138,147,163,0.55)", width: 0, points: { show: true, size: 3, fill: "rgba(138,147,163,0.55)" }, paths: function () { return null; } },
        { stroke: ACCENT, width: 1.6, points: { show: false } }
      ],
      hooks: { drawClear: [function (u) { zeroLine(u); }] }
    }, [xs, daily, smooth], container);
  }

  function zeroLine(u) {
    var y = Math.round(u.valToPos(0, "y", true));
    var ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = "#c9ced6";
    ctx.lineWidth = 1;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(u.bbox.left, y);
    ctx.lineTo(u.bbox.left + u.bbox.width, y);
    ctx.stroke();
    ctx.restore();
  }

  function markSelectedDay(u) {
    if (!state.selectedDay) return;
    var x = u.valToPos(dayTs(state.selectedDay), "x", true);
    if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
    var ctx = u.ctx;
    ctx.save();
    ctx.fillStyle = "rgba(224,138,0,0.16)";
    ctx.fillRect(x - 5 * devicePixelRatio, u.bbox.top, 10 * devicePixelRatio, u.bbox.height);
    ctx.restore();
  }

  function renderGrid(page) {
    var grid = $("pair-grid");
    state.sparks.forEach(function (c) { c.destroy(); });
    state.sparks = [];
    grid.textContent = "";
    $("grid-hint").textContent = page.pairs.length + " pairs · latest 7-day score · sparkline: " + page.window_days + " days";
    if (!page.pairs.length) {
      grid.appendChild(el("div", "empty", "No pairs indexed under this version yet."));
      return;
    }
    page.pairs.forEach(function (p) {
      var alert = state.alerts[p.pair];
      var card = el("button", "card" + (alert && alert.status === "alert" ? " alert" : ""));
      card.type = "button";
      card.dataset.pair = p.pair;
      var top = el("div", "card-top");
      top.appendChild(el("span", "card-pair", p.pair));
      var headline = p.score_7d !== null ? p.score_7d : p.score;
      top.appendChild(el("span", "card-score " + tone(headline), fmt(headline)));
      card.appendChild(top);
      var sub = el("div", "card-sub");
      var arrow = { up: "▲", down: "▼", flat: "▬", unknown: "·" }[p.trend];
      sub.appendChild(el("span", "trend-" + p.trend, arrow + " " + (p.trend_7d === null ? "no trend yet" : fmt(p.trend_7d) + " vs last week")));
      sub.appendChild(el("span", null, p.sentences_in_window + " sent."));
      card.appendChild(sub);
      if (alert && alert.status === "alert") {
        card.appendChild(el("div", "card-alert", "⚠ last 7 days " + fmt(alert.recent_score) + " vs " +
          fmt(alert.baseline_low) + " … " + fmt(alert.baseline_high) + " expected"));
        card.title = "Index alert: the last 7 days left the range of the 30 days before";
      }
      var spark = el("div", "spark");
      card.appendChild(spark);
      card.addEventListener("click", function () { selectPair(p.pair); });
      grid.appendChild(card);
      state.sparks.push(sparkline(spark, p.sparkline));
    });
    markSelected();
  }

  function markSelected() {
    Array.prototype.forEach.call(document.querySelectorAll(".card"), function (c) {
      c.classList.toggle("selected", c.dataset.pair === state.pair);
    });
  }

  function loadAlerts(version) {
    return getJSON("/v1/relations/alerts" + qs({ model_version: version })).then(function (page) {
      state.alerts = {};
      page.pairs.forEach(function (a) { state.alerts[a.pair] = a; });
      $("alerts-hint").textContent = page.flagged.length
        ? "⚠ " + page.flagged.length + " alert" + (page.flagged.length > 1 ? "s" : "") + ": " + page.flagged.join(", ")
        : "no alerts (last 7 days within the range of the 30 before)";
      $("alerts-hint").className = "hint" + (page.flagged.length ? " alerting" : "");
    }).catch(function () { state.alerts = {}; $("alerts-hint").textContent = ""; });
  }

  var DRIFT_NAMES = {
    prediction_shares: "predicted class shares", confidence: "confidence", sentence_length: "sentence length",
    language_mix: "language mix", pair_mix: "country-pair mix", unknown_token_rate: "unknown-token rate"
  };

  function renderDrift(page) {
    var body = document.querySelector("#drift-table tbody");
    body.textContent = "";
    page.series.forEach(function (s) {
      var last = s.points[s.points.length - 1];
      var row = el("tr", last.status === "drift" ? "drifting" : "");
      row.dataset.statistic = s.statistic;
      row.appendChild(el("td", "", (DRIFT_NAMES[s.statistic] || s.statistic) + " (" + s.kind + ")"));
      row.appendChild(el("td", "drift-" + last.status, last.day + " · " + last.status.replace("_", " ")));
      row.appendChild(el("td", "", last.distance === null ? "–" : Number(last.distance).toFixed(3)));
      row.appendChild(el("td", "", last.p_value === null ? "–" : Number(last.p_value).toExponential(1)));
      var strip = el("td", "drift-strip");
      s.points.slice(-30).forEach(function (p) {
        var cell = el("span", "cell drift-" + p.status);
        cell.title = p.day + ": " + p.status + (p.distance === null ? "" : ", distance " + Number(p.distance).toFixed(3) +
          ", p " + Number(p.p_value).toExponential(1) + " (threshold p < " + Number(p.alpha).toExponential(1) +
          " and distance ≥ " + p.min_distance + "), n " + p.n + " vs " + p.reference);
        strip.appendChild(cell);
      });
      row.appendChild(strip);
      body.appendChild(row);
    });
    $("drift-table").hidden = !page.series.length;
    var acc = page.estimated_accuracy[page.estimated_accuracy.length - 1];
    $("drift-accuracy").textContent = acc
      ? "estimated accuracy " + acc.day + ": " + (100 * acc.accuracy).toFixed(1) + "% [" +
        (100 * acc.low).toFixed(1) + "–" + (100 * acc.high).toFixed(1) + "%], n " + acc.n + " (no labels: from confidence)"
      : "";
    var events = $("drift-events");
    events.textContent = "";
    page.events.slice(0, 8).forEach(function (e) {
      events.appendChild(el("li", "", "⚠ " + e.day + " " + (DRIFT_NAMES[e.statistic] || e.statistic) + ": distance " +
        Number(e.distance).toFixed(3) + ", p " + Number(e.p_value).toExponential(1) +
        (e.movers.length ? ", moved: " + e.movers.join(", ") : "") + " (vs " + e.reference + ")"));
    });
    $("drift-hint").textContent = page.events.length
      ? "⚠ " + page.events.length + " drift event" + (page.events.length > 1 ? "s" : "") + " in " + page.start + " … " + page.end
      : "no drift events in " + page.start + " … " + page.end;
    $("drift-hint").className = "hint" + (page.events.length ? " alerting" : "");
  }

  function loadDrift(version) {
    return getJSON("/v1/monitoring/drift" + qs({ model_version: version, days: 30 }))
      .then(renderDrift)
      .catch(function () { $("drift-table").hidden = true; $("drift-hint").textContent = "no drift series yet"; });
  }

  function loadPairs() {
    var focus = $("focus-only").checked;
    return getJSON("/v1/relations" + qs({ model_version: state.version, focus: focus }))
      .then(function (page) {
        if (!page.pairs.length && focus) {
          $("focus-only").checked = false;
          return loadPairs();
        }
        state.asOf = page.as_of;
        fillVersions(page);
        loadDrift(page.model_version);
        return loadAlerts(page.model_version).then(function () { return page; });
      })
      .then(function (page) {
        if (!page) return;
        renderGrid(page);
        state.method = page.method;
        if (!state.pair || !page.pairs.some(function (p) { return p.pair === state.pair; })) {
          state.pair = page.pairs.length ? page.pairs[0].pair : null;
        }
        if (state.pair) return selectPair(state.pair);
      });
  }

  function fillVersions(page) {
    var select = $("version-select");
    select.textContent = "";
    page.versions.forEach(function (v) {
      var opt = el("option", null, v.model_name + " v" + v.model_version);
      opt.value = v.model_version;
      if (v.model_version === page.model_version) opt.selected = true;
      select.appendChild(opt);
    });
    state.version = page.model_version;
    var note = (page.is_live ? "live · " : "") + "as of " + page.as_of + " · computed " + (when(page.computed_at) || "");
    if (page.live_model_version && page.live_model_version !== page.model_version) {
      note += " · v" + page.live_model_version + " is live";
    }
    $("as-of").textContent = note;
    $("as-of").title = page.shown_because || "";
    var b = page.backfill;
    var warn = $("backfill-note");
    if (b && !b.complete) {
      warn.hidden = false;
      warn.textContent = "v" + page.model_version + "'s history is incomplete: " + b.days_missing + " of " +
        b.days_in_data + " days not indexed yet" + (b.backfill_status ? " (backfill " + b.backfill_status +
        (b.backfill_total ? ", " + b.backfill_scored + "/" + b.backfill_total + " sentences" : "") + ")" : "") +
        ". Earlier days read by another version are overlaid below.";
    } else {
      warn.hidden = true;
    }
    fillCompare(page);
    var m = page.method;
    var weights = Object.keys(m.weights).map(function (k) { return k.replace(/_/g, " ") + " " + fmt(m.weights[k], 1); });
    $("method-note").textContent = "Score = probability-weighted mean polarity (" + weights.join(", ") + "). Band: " +
      m.interval + ". Lines: " + m.smoothing + ". Click a day to see its sentences.";
  }

  /* ---- the version overlaid on the shown one (default: the one live before it) ---- */
  function fillCompare(page) {
    var select = $("compare-select");
    var others = page.versions.filter(function (v) { return v.model_version !== page.model_version; });
    state.switches = page.switches || [];
    if (!state.compareChosen) {
      var sw = state.switches.filter(function (x) { return x.model_version === page.model_version; })[0];
      var prev = sw && sw.previous_version;
      state.compare = prev && others.some(function (v) { return v.model_version === prev; }) ? prev : null;
    }
    if (state.compare === page.model_version) state.compare = null;
    select.textContent = "";
    var none = el("option", null, "none");
    none.value = "";
    select.appendChild(none);
    others.forEach(function (v) {
      var opt = el("option", null, "v" + v.model_version);
      opt.value = v.model_version;
      if (v.model_version === state.compare) opt.selected = true;
      select.appendChild(opt);
    });
    select.disabled = !others.length;
  }

  function markSwitch(u) {
    var cmp = state.series && state.series.compare;
    if (!cmp || !cmp.switch) return;
    var ts = Date.parse(cmp.switch.switched_at) / 1000;
    var x = Math.round(u.valToPos(ts, "x", true));
    if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
    var ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = COMPARE;
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.fillStyle = COMPARE;
    ctx.font = (11 * devicePixelRatio) + "px sans-serif";
    ctx.fillText("v" + cmp.switch.model_version + " live", x + 4 * devicePixelRatio, u.bbox.top + 12 * devicePixelRatio);
    ctx.restore();
  }

  /* ---- one pair: series with interval band ---- */
  function stat(label, value, cls) {
    var box = el("div", "stat");
    box.appendChild(el("span", "stat-label", label));
    box.appendChild(el("span", "stat-value " + (cls || ""), value));
    return box;
  }

  function renderPairStats(series) {
    var box = $("pair-stats");
    box.textContent = "";
    var pts = series.points;
    if (!pts.length) return;
    var last = pts[pts.length - 1];
    var total = pts.reduce(function (a, p) { return a + p.sentence_count; }, 0);
    box.appendChild(stat("latest day", last.day));
    box.appendChild(stat("score", fmt(last.score), tone(last.score)));
    box.appendChild(stat("95% interval", fmt(last.ci_low) + " … " + fmt(last.ci_high)));
    box.appendChild(stat("7-day", fmt(last.score_7d), tone(last.score_7d)));
    box.appendChild(stat("30-day", fmt(last.score_30d), tone(last.score_30d)));
    box.appendChild(stat("sentences in range", String(total)));
  }

  function chartWidth() { return Math.max(320, $("pair-chart").clientWidth || 900); }

  function renderPairChart(series) {
    var target = $("pair-chart");
    var volTarget = $("volume-chart");
    if (state.chart) { state.chart.destroy(); state.chart = null; }
    if (state.volume) { state.volume.destroy(); state.volume = null; }
    target.textContent = "";
    var pts = series.points;
    var cmp = series.compare;
    var cpts = cmp ? cmp.points : [];
    target.dataset.points = String(pts.length);
    target.dataset.compare = cmp ? cmp.model_version : "";
    target.dataset.switchAt = cmp && cmp.switch ? cmp.switch.switched_at : "";
    if (!pts.length && !cpts.length) {
      target.appendChild(el("div", "empty", "No days in this range."));
      return;
    }
    var byDay = {}, cByDay = {}, days = {};
    pts.forEach(function (p) { byDay[p.day] = p; days[p.day] = true; });
    cpts.forEach(function (p) { cByDay[p.day] = p; days[p.day] = true; });
    var dayList = Object.keys(days).sort();
    var xs = dayList.map(dayTs);
    var pick = function (map, key) {
      return dayList.map(function (d) { var p = map[d]; return p ? p[key] : null; });
    };
    var data = [
      xs,
      pick(byDay, "ci_high"),
      pick(byDay, "ci_low"),
      pick(byDay, "score"),
      pick(byDay, "score_7d"),
      pick(byDay, "score_30d")
    ];
    if (cmp) data.push(pick(cByDay, "score_7d"));
    var sync = uPlot.sync("relations");
    var cursor = { sync: { key: sync.key }, points: { size: 8 }, drag: { x: false, y: false } };
    var valueFmt = function (u, v) { return v === null || v === undefined ? "–" : fmt(v); };
    state.chart = new uPlot({
      width: chartWidth(), height: 300, tzDate: utc, cursor: cursor,
      scales: { x: { time: true }, y: { auto: false, range: [-1, 1] } },
      axes: [
        { stroke: "#6b7482", grid: { stroke: "#eef0f3" }, ticks: { stroke: "#e3e6eb" } },
        { stroke: "#6b7482", grid: { stroke: "#eef0f3" }, ticks: { stroke: "#e3e6eb" }, size: 44,
          values: function (u, vals) { return vals.map(function (v) { return v === 0 ? "0" : fmt(v, 1); }); } }
      ],
      series: [
        { value: function (u, ts) { return ts === null ? "–" : tsDay(ts); } },
        { label: "95% CI high", stroke: "rgba(48,86,211,0.25)", width: 1, value: valueFmt, points: { show: false } },
        { label: "95% CI low", stroke: "rgba(48,86,211,0.25)", width: 1, value: valueFmt, points: { show: false } },
        { label: "daily score", stroke: "#4b5563", width: 0, value: valueFmt, paths: function () { return null; },
          points: { show: true, size: 5, fill: "#4b5563", stroke: "#4b5563" } },
        { label: "7-day", stroke: ACCENT, width: 2.2, value: valueFmt, points: { show: false } },
        { label: "30-day", stroke: "#e08a00", width: 1.8, dash: [6, 4], value: valueFmt, points: { show: false } }
      ].concat(cmp ? [{ label: "v" + cmp.model_version + " 7-day", stroke: COMPARE, width: 1.8, dash: [2, 3],
        spanGaps: true, value: valueFmt, points: { show: false } }] : []),
      bands: [{ series: [1, 2], fill: "rgba(48,86,211,0.12)" }],
      hooks: { drawClear: [zeroLine, markSelectedDay], draw: [markSwitch] }
    }, data, target);
    state.chart.over.addEventListener("click", function () {
      var idx = state.chart.cursor.idx;
      if (idx !== null && idx !== undefined) selectDay(tsDay(xs[idx]));
    });

    state.volume = new uPlot({
      width: chartWidth(), height: 90, tzDate: utc, cursor: cursor, legend: { show: false },
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
      axes: [{ show: false }, { stroke: "#6b7482", size: 44, grid: { stroke: "#eef0f3" }, ticks: { show: false },
        values: function (u, vals) { return vals.map(function (v) { return Number.isInteger(v) ? String(v) : ""; }); } }],
      series: [{}, { label: "sentences", fill: "rgba(138,147,163,0.45)", stroke: "rgba(138,147,163,0.9)",
        width: 1, paths: uPlot.paths.bars({ size: [0.7, 14] }), points: { show: false } }]
    }, [xs, pick(byDay, "sentence_count")], volTarget);
  }

  /* ---- the two directions of the selected pair (KOR>USA, USA>KOR) ---- */
  var DIRECTION_COLORS = ["#1d7a46", "#b3261e"];

  function directedKeys(pair) {
    var parts = pair.split("-");
    return parts.length === 2 ? [parts[0] + ">" + parts[1], parts[1] + ">" + parts[0]] : [];
  }

  function renderDirections(xs, found) {
    var stats = $("direction-stats");
    var target = $("direction-chart");
    stats.textContent = "";
    target.textContent = "";
    if (state.directed) { state.directed.destroy(); state.directed = null; }
    var shown = found.filter(function (f) { return f.series && f.series.points.length; });
    target.dataset.series = String(shown.length);
    found.forEach(function (f) {
      var pts = f.series ? f.series.points : [];
      var total = pts.reduce(function (a, p) { return a + p.sentence_count; }, 0);
      var last = pts.length ? pts[pts.length - 1] : null;
      stats.appendChild(stat(f.key + " · 7-day", last ? fmt(last.score_7d) : "no sentences", last ? tone(last.score_7d) : ""));
      stats.appendChild(stat(f.key + " sentences", String(total)));
    });
    if (!shown.length) {
      target.appendChild(el("div", "empty", "No sentence in this range says who acted on whom."));
      return;
    }
    var data = [xs];
    var series = [{ value: function (u, ts) { return ts === null ? "–" : tsDay(ts); } }];
    shown.forEach(function (f, i) {
      var byDay = {};
      f.series.points.forEach(function (p) { byDay[p.day] = p.score_7d; });
      data.push(xs.map(function (x) { var v = byDay[tsDay(x)]; return v === undefined ? null : v; }));
      series.push({ label: f.key + " 7-day", stroke: DIRECTION_COLORS[i % 2], width: 2, spanGaps: true,
        value: function (u, v) { return v === null || v === undefined ? "–" : fmt(v); }, points: { show: false } });
    });
    state.directed = new uPlot({
      width: chartWidth(), height: 160, tzDate: utc,
      scales: { x: { time: true }, y: { auto: false, range: [-1, 1] } },
      axes: [{ stroke: "#6b7482", grid: { stroke: "#eef0f3" } }, { stroke: "#6b7482", size: 44, grid: { stroke: "#eef0f3" } }],
      series: series, hooks: { drawClear: [zeroLine] }
    }, data, target);
  }

  function loadDirections(series, params) {
    var xs = series.points.map(function (p) { return dayTs(p.day); });
    var keys = directedKeys(series.pair);
    return Promise.all(keys.map(function (key) {
      return getJSON("/v1/relations/" + encodeURIComponent(key) + qs(params))
        .then(function (s) { return { key: key, series: s }; })
        .catch(function (e) { if (e.status === 404) return { key: key, series: null }; throw e; });
    })).then(function (found) { renderDirections(xs, found); });
  }

  function loadSeries() {
    if (!state.pair) return Promise.resolve();
    var params = { model_version: state.version };
    if (state.days > 0) {
      var end = new Date(dayTs(state.asOf || new Date().toISOString().slice(0, 10)) * 1000);
      params.end = end.toISOString().slice(0, 10);
      params.start = new Date(end.getTime() - (state.days - 1) * 86400000).toISOString().slice(0, 10);
    } else {
      params.start = "1970-01-01";
    }
    var seriesParams = Object.assign({}, params, { compare_version: state.compare });
    return getJSON("/v1/relations/" + encodeURIComponent(state.pair) + qs(seriesParams)).then(function (series) {
      state.series = series;
      var cmp = series.compare;
      $("pair-title").textContent = series.pair + " · " + series.model_name + " v" + series.model_version +
        (cmp ? " (dotted: v" + cmp.model_version + ")" : "");
      $("compare-note").textContent = cmp ? "v" + cmp.model_version + " overlaid: " + cmp.overlap_days +
        " days read by both" + (cmp.mean_difference !== null ? ", mean difference " + fmt(cmp.mean_difference) : "") +
        (cmp.switch ? " · live switched to v" + cmp.switch.model_version + " " + when(cmp.switch.switched_at) : "") : "";
      renderPairStats(series);
      renderPairChart(series);
      var pts = series.points;
      if (pts.length) {
        var busiest = pts.reduce(function (a, p) { return p.sentence_count > a.sentence_count ? p : a; }, pts[pts.length - 1]);
        $("day-hint").textContent = "Click a day in the chart above (busiest in range: " + busiest.day + ").";
      }
      return loadDirections(series, params);
    });
  }

  function selectPair(pair) {
    state.pair = pair;
    markSelected();
    clearDay();
    return loadSeries().catch(function (e) { showStatus(e.message, true); });
  }

  /* ---- one day: the sentences behind it ---- */
  function clearDay() {
    state.selectedDay = null;
    if (state.chart) state.chart.redraw(false);
    $("day-title").textContent = "Sentences behind a day";
    $("day-summary").textContent = "";
    $("sentences").hidden = true;
    $("sentences").querySelector("tbody").textContent = "";
  }

  function sharesBar(shares) {
    var wrap = el("div");
    var bar = el("div", "shares");
    var legend = el("div", "legend");
    SHARE_ORDER.filter(function (k) { return k in shares; }).forEach(function (k) {
      var part = el("span");
      part.style.width = (100 * shares[k]).toFixed(2) + "%";
      part.style.background = SHARE_COLORS[k] || MUTED;
      part.title = k.replace(/_/g, " ") + " " + (100 * shares[k]).toFixed(1) + "%";
      bar.appendChild(part);
      var item = el("span");
      var swatch = el("i");
      swatch.style.background = SHARE_COLORS[k] || MUTED;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(k.replace(/_/g, " ") + " " + Math.round(100 * shares[k]) + "%"));
      legend.appendChild(item);
    });
    wrap.appendChild(bar);
    wrap.appendChild(legend);
    return wrap;
  }

  function safeHref(url) { return /^https?:\/\//i.test(url || "") ? url : null; }

  /* The sentence with the mentions a pair-aware version was shown marked highlighted (offsets
     count code points, as Python's do), and the exact text it read beneath. */
  function sentenceText(s) {
    var td = el("td", "text");
    var chars = Array.from(s.text);
    var marked = (s.marked || []).slice().sort(function (a, b) { return a.start - b.start; });
    var cursor = 0;
    marked.forEach(function (m) {
      if (m.start < cursor) return;
      td.appendChild(document.createTextNode(chars.slice(cursor, m.start).join("")));
      var mark = el("mark", "pair-mention", chars.slice(m.start, m.end).join(""));
      mark.title = m.iso3 + " (marked for the model)";
      td.appendChild(mark);
      cursor = m.end;
    });
    td.appendChild(document.createTextNode(chars.slice(cursor).join("")));
    if (s.model_input && s.model_input !== s.text) {
      td.appendChild(el("div", "model-input", "model read: " + s.model_input));
    }
    return td;
  }

  function sentenceRow(s) {
    var tr = el("tr", "sentence-row" + (s.top ? " top" : ""));
    tr.dataset.sentenceId = String(s.sentence_id);
    var reading = el("td", "reading");
    reading.appendChild(el("span", "chip " + labelTone(s.label), s.label.replace(/_/g, " ")));
    reading.appendChild(el("div", "prob", "p=" + s.probability.toFixed(2) + " · polarity " + fmt(s.polarity)));
    var polbar = el("div", "polbar");
    var fill = el("span");
    var half = Math.min(1, Math.abs(s.polarity)) * 50;
    fill.style.left = (s.polarity >= 0 ? 50 : 50 - half) + "%";
    fill.style.width = half + "%";
    fill.style.background = s.polarity >= 0 ? COOP : CONF;
    polbar.appendChild(fill);
    reading.appendChild(polbar);
    tr.appendChild(reading);
    tr.appendChild(sentenceText(s));
    var src = el("td", "source");
    var href = safeHref(s.url);
    var title = s.title || s.url;
    if (href) {
      var a = el("a", null, title);
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      src.appendChild(a);
    } else {
      src.appendChild(el("div", null, title));
    }
    src.appendChild(el("div", null, (s.source || "unknown source") + (s.published_at ? " · " + when(s.published_at) : "")));
    tr.appendChild(src);
    return tr;
  }

  function selectDay(day) {
    if (!state.pair) return Promise.resolve();
    state.selectedDay = day;
    if (state.chart) state.chart.redraw(false);
    $("day-title").textContent = state.pair + " on " + day;
    $("day-hint").textContent = "loading…";
    var url = "/v1/relations/" + encodeURIComponent(state.pair) + "/days/" + day + "/sentences" +
      qs({ model_version: state.version, limit: 100 });
    return getJSON(url).then(function (page) {
      var summary = $("day-summary");
      summary.textContent = "";
      if (page.index) {
        summary.appendChild(stat("score", fmt(page.index.score), tone(page.index.score)));
        summary.appendChild(stat("95% interval", fmt(page.index.ci_low) + " … " + fmt(page.index.ci_high)));
        summary.appendChild(stat("sentences · articles · sources",
          page.index.sentence_count + " · " + page.index.article_count + " · " + page.index.source_count));
        summary.appendChild(stat("share of the day's volume", (100 * page.index.volume_share).toFixed(1) + "%"));
        summary.appendChild(sharesBar(page.index.class_shares));
      }
      var body = $("sentences").querySelector("tbody");
      body.textContent = "";
      page.sentences.forEach(function (s) { body.appendChild(sentenceRow(s)); });
      $("sentences").hidden = false;
      $("day-hint").textContent = "showing " + page.sentences.length + " of " + page.total +
        " sentences, strongest readings first; marked: the index's top sentences" +
        (page.reading === "pair" ? "; highlighted: the pair's mentions the model was shown marked (" +
          page.pair_input + ")" : page.reading === "sentence" ? "; read per sentence, not per pair" : "");
    }).catch(function (e) {
      $("day-hint").textContent = e.message;
    });
  }

  /* ---- wiring ---- */
  function init() {
    loadServingModel();
    $("version-select").addEventListener("change", function (ev) {
      state.version = ev.target.value;
      reload();
    });
    $("focus-only").addEventListener("change", reload);
    $("compare-select").addEventListener("change", function (ev) {
      state.compare = ev.target.value || null;
      state.compareChosen = true;
      clearDay();
      loadSeries().catch(function (e) { showStatus(e.message, true); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("#ranges button"), function (b) {
      b.addEventListener("click", function () {
        Array.prototype.forEach.call(document.querySelectorAll("#ranges button"), function (o) { o.classList.remove("active"); });
        b.classList.add("active");
        state.days = Number(b.dataset.days);
        clearDay();
        loadSeries().catch(function (e) { showStatus(e.message, true); });
      });
    });
    var resizeTimer = null;
    window.addEventListener("resize", function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () {
        if (state.chart) state.chart.setSize({ width: chartWidth(), height: 300 });
        if (state.volume) state.volume.setSize({ width: chartWidth(), height: 90 });
      }, 150);
    });
    reload();
  }

  function reload() {
    showStatus(null);
    document.body.dataset.ready = "loading";
    return loadPairs()
      .then(function () { document.body.dataset.ready = "yes"; })
      .catch(function (e) {
        document.body.dataset.ready = "error";
        showStatus(e.status === 404 ? "No relation index yet: " + e.message : "Could not load the index: " + e.message, e.status !== 404);
      });
  }

  window.relationsDashboard = { state: state, selectDay: selectDay, selectPair: selectPair };
  document.addEventListener("DOMContentLoaded", init);
})();
