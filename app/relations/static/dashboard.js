/* Relation index dashboard: plain JS over the JSON API, charts by the vendored uPlot.
 *
 * GET /v1/relations           -> grid of pair cards with sparklines
 * GET /v1/relations/{pair}    -> the pair's series: daily score, 95% band, 7d and 30d lines
 * GET /v1/relations/{pair}/days/{day}/sentences -> the sentences behind a clicked day
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

  var state = { version: null, pair: null, days: 180, series: null, chart: null, volume: null, directed: null, sparks: [] };
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
      $("serving-model").textContent = (s.name || "model") + " v" + s.version;
      var promoted = when(s.promoted_at || following.promoted_at || m.promoted_at);
      var loaded = when(s.loaded_at);
      $("serving-since").textContent = promoted ? "promoted " + promoted
        : loaded ? "loaded " + loaded + (s.via ? " (" + s.via + ")" : "") : (s.via || "");
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
      var card = el("button", "card");
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
    $("as-of").textContent = "as of " + page.as_of + " · computed " + (when(page.computed_at) || "");
    var m = page.method;
    var weights = Object.keys(m.weights).map(function (k) { return k.replace(/_/g, " ") + " " + fmt(m.weights[k], 1); });
    $("method-note").textContent = "Score = probability-weighted mean polarity (" + weights.join(", ") + "). Band: " +
      m.interval + ". Lines: " + m.smoothing + ". Click a day to see its sentences.";
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
    target.dataset.points = String(pts.length);
    if (!pts.length) {
      target.appendChild(el("div", "empty", "No days in this range."));
      return;
    }
    var xs = pts.map(function (p) { return dayTs(p.day); });
    var data = [
      xs,
      pts.map(function (p) { return p.ci_high; }),
      pts.map(function (p) { return p.ci_low; }),
      pts.map(function (p) { return p.score; }),
      pts.map(function (p) { return p.score_7d; }),
      pts.map(function (p) { return p.score_30d; })
    ];
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
      ],
      bands: [{ series: [1, 2], fill: "rgba(48,86,211,0.12)" }],
      hooks: { drawClear: [zeroLine, markSelectedDay] }
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
    }, [xs, pts.map(function (p) { return p.sentence_count; })], volTarget);
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
    return getJSON("/v1/relations/" + encodeURIComponent(state.pair) + qs(params)).then(function (series) {
      state.series = series;
      $("pair-title").textContent = series.pair + " · " + series.model_name + " v" + series.model_version;
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
    tr.appendChild(el("td", "text", s.text));
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
        " sentences, strongest readings first; marked: the index's top sentences";
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
