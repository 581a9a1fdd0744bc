// Draws every chart of the tokenworth report as inline SVG from the JSON embedded in the page,
// and redraws them when a filter (time range, team, platform) changes. No libraries and no
// network: the file must work offline.
//
// Each chart spec carries its mart rows; every value drawn is a sum of a row field, or a ratio
// of two sums (num ÷ den), over the rows the filters keep. The filters only drop rows: nothing is
// split below the grain the marts publish (teams under the cohort size are already merged).
//
// For a headless browser to check the page, each chart section records what it drew in
// data-drawn (the number of marks) or, on failure, data-error with a visible message; after
// every draw, data-layout holds the box of its SVG and how many of its marks or labels fall
// outside it. The filter state lives in the URL's hash (#from=2026-10&team=payments…), so a
// filtered view can be bookmarked, and opened by a test.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var W = 760, H = 340;
  // Margins of the plot; the top one grows when partial periods need their label above it.
  var M = { top: 16, right: 16, bottom: 72, left: 64 };
  var NONE = "—";  // a value that does not exist (no data, or a ratio over nothing)

  var data = JSON.parse(document.getElementById("report-data").textContent);
  var form = document.getElementById("filters");

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(node);
    return node;
  }

  function html(tag, className, text, parent) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function missing(value) { return value === null || value === undefined || isNaN(value); }

  function format(value, unit, short) {
    if (missing(value)) return NONE;
    if (unit === "usd") {
      // Axis ticks drop cents unless the step needs them; values keep cents below $100.
      var digits = short ? (Number.isInteger(value) ? 0 : 2) : (Math.abs(value) >= 100 ? 0 : 2);
      if (short && Math.abs(value) >= 1000) return "$" + (value / 1000).toFixed(1) + "k";
      return "$" + value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
    }
    if (unit === "pct") return (value * 100).toFixed(short ? 0 : 1) + "%";
    if (unit === "hours") return value.toFixed(short && Number.isInteger(value) ? 0 : 1) + " h";
    if (unit === "count") return Math.round(value).toLocaleString("en-US");
    return value.toLocaleString("en-US", { maximumFractionDigits: short ? 1 : 2 });
  }

  // ---- filters -------------------------------------------------------------------------------

  function defaults() {
    var months = data.months;
    return { from: months[0] || "", to: months[months.length - 1] || "", team: "", platform: "" };
  }

  function choices(name) {
    var select = form.elements[name];
    return Array.prototype.map.call(select.options, function (option) { return option.value; });
  }

  // The state from the URL's hash; anything unknown falls back to "everything".
  function readState() {
    var state = defaults();
    (location.hash || "").replace(/^#/, "").split("&").forEach(function (pair) {
      var parts = pair.split("="), key = decodeURIComponent(parts[0] || "");
      var value = decodeURIComponent((parts[1] || "").replace(/\+/g, " "));
      if (key in state && choices(key).indexOf(value) >= 0) state[key] = value;
    });
    if (state.from > state.to) { var swap = state.from; state.from = state.to; state.to = swap; }
    return state;
  }

  function isDefault(state, key) { return state[key] === defaults()[key]; }

  function writeState(state) {
    var parts = [];
    ["from", "to", "team", "platform"].forEach(function (key) {
      if (!isDefault(state, key)) parts.push(key + "=" + encodeURIComponent(state[key]));
    });
    var hash = parts.length ? "#" + parts.join("&") : "";
    try {
      history.replaceState(null, "", hash || location.pathname + location.search);
    } catch (error) {
      location.hash = hash;  // some browsers refuse replaceState on file:// pages
    }
  }

  function syncForm(state) {
    ["from", "to", "team", "platform"].forEach(function (key) { form.elements[key].value = state[key]; });
  }

  function keep(spec, state, ignoreTeam) {
    var f = spec.filters;
    return function (row) {
      if (f.month && (row[f.month] < state.from || row[f.month] > state.to)) return false;
      if (f.team && state.team && !ignoreTeam && row[f.team] !== state.team) return false;
      // Rows without a platform (GitHub, git in data quality) are not platform data: kept.
      if (f.platform && state.platform && row[f.platform] !== null && row[f.platform] !== undefined
        && row[f.platform] !== state.platform) return false;
      return true;
    };
  }

  function monthLabel(key) {
    var option = form.elements.from.querySelector('option[value="' + key + '"]');
    return option ? option.textContent : key;
  }

  // What the chart shows under the filters, in words; a filter its mart cannot apply says so.
  function scope(spec, state) {
    var parts = [];
    var range = state.from === state.to ? monthLabel(state.from) : monthLabel(state.from) + " – " + monthLabel(state.to);
    parts.push(spec.filters.month ? range : "all months (no time split in this mart)");
    if (!state.team) parts.push("all teams");
    else if (spec.filters.team) parts.push("team: " + form.elements.team.selectedOptions[0].textContent);
    else parts.push("all teams — the team filter does not apply: this mart has no team split that respects the minimum cohort size");
    if (!state.platform) parts.push("all platforms");
    else if (spec.filters.platform) parts.push("platform: " + state.platform);
    else parts.push("all platforms — the platform filter does not apply: this mart has no platform split");
    return "Showing " + parts.join(" · ");
  }

  // ---- adding rows up ------------------------------------------------------------------------

  function total(rows, field) {
    var sum = null;
    rows.forEach(function (row) {
      var v = row[field];
      if (!missing(v)) sum = (sum === null ? 0 : sum) + v;
    });
    return sum;
  }

  function matches(where) {
    return function (row) {
      for (var key in where) if (row[key] !== where[key]) return false;
      return true;
    };
  }

  // A measure over rows: Σ num, or Σ num ÷ Σ den (over allRows when the measure is a share of
  // every team). Null when there is nothing to add or nothing to divide by.
  function measure(rows, m, allRows) {
    var num = total(m.where ? rows.filter(matches(m.where)) : rows, m.num);
    if (!m.den) return num;
    var den = total(m.shareOfAll ? allRows : rows, m.den);
    if (num === null || !den) return null;
    return num / den;
  }

  function distinct(rows, field, order) {
    var seen = {};
    rows.forEach(function (row) { seen[String(row[field])] = row[field]; });
    var values = Object.keys(seen).map(function (key) { return seen[key]; });
    if (order) {
      var index = function (v) { var i = order.indexOf(v); return i < 0 ? order.length : i; };
      return values.sort(function (a, b) { return index(a) - index(b) || String(a).localeCompare(String(b)); });
    }
    return values.sort(function (a, b) { return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0; });
  }

  function label(axis, value) {
    var labels = axis.labels || {};
    return labels[String(value)] || String(value);
  }

  // Categories and series of a chart from its filtered rows.
  function build(spec, rows, allRows) {
    var x = spec.x, s = spec.series;
    var keys = x.measures ? x.measures.map(function (m) { return m.name; }) : distinct(rows, x.field, x.order);
    var defs = s.measures ? s.measures : distinct(rows, s.field, s.order).map(function (name) {
      return { name: name, colour: (s.colours || {})[name] || "#56B4E9", num: s.num, den: s.den };
    });
    var series = defs.map(function (def) {
      var own = s.field ? rows.filter(function (row) { return row[s.field] === def.name; }) : rows;
      // present: the mart has a row for the cell (its value may still be null: "no data").
      var present = [];
      var values = keys.map(function (key, i) {
        var cell = x.field ? own.filter(function (row) { return row[x.field] === key; }) : own;
        present.push(cell.length > 0);
        return measure(cell, x.measures ? x.measures[i] : def, allRows);
      });
      return { name: label(s, def.name), colour: def.colour, values: values, present: present };
    });
    // A second line under each category (e.g. a team's share of all spend, the AI share).
    var sublabels = x.sublabel ? keys.map(function (key) {
      var v = measure(rows.filter(function (row) { return row[x.field] === key; }), x.sublabel, allRows);
      return missing(v) ? "" : (x.sublabel.prefix || "") + format(v, x.sublabel.unit) + (x.sublabel.suffix || "");
    }) : null;
    return {
      keys: keys,
      categories: keys.map(function (key) { return label(x, key); }),
      sublabels: sublabels,
      series: series
    };
  }

  // ---- drawing -------------------------------------------------------------------------------

  // A "nice" upper bound and tick step for the y axis.
  function niceScale(max, unit) {
    if (!(max > 0)) max = 1;
    // Shares that add up to 1 (stacked classes) may exceed it by a rounding error.
    if (unit === "pct" && max <= 1.0001) return { max: max > 0.5 ? 1 : Math.ceil(max * 10) / 10, step: max > 0.5 ? 0.25 : 0.1 };
    var raw = max / 5, pow = Math.pow(10, Math.floor(Math.log10(raw))), step = pow;
    [1, 2, 2.5, 5, 10].some(function (m) { step = m * pow; return raw <= step; });
    return { max: Math.ceil(max / step) * step, step: step };
  }

  // Shade the periods the data covers only in part, and say how much of them it covers.
  function partials(svg, spec, chart, band) {
    var plotH = H - M.top - M.bottom;
    chart.keys.forEach(function (key, i) {
      var flag = (spec.partial || {})[String(key)];
      if (!flag) return;
      var x = M.left + band * i;
      var g = el("g", { class: "partial", "data-x": chart.categories[i], "data-days": flag.days, "data-of": flag.of }, svg);
      el("rect", { x: x + 1, y: M.top, width: Math.max(band - 2, 1), height: plotH, class: "partial-band" }, g);
      var cx = x + band / 2;
      el("text", { x: cx, y: M.top - 22, "text-anchor": "middle", class: "partial-label" }, g).textContent = "partial:";
      el("text", { x: cx, y: M.top - 9, "text-anchor": "middle", class: "partial-label" }, g).textContent = flag.days + " of " + flag.of + " days";
    });
  }

  // A label as lines that fit in `room` (SVG units; 11 px text is about 6.4 units a character).
  function wrap(text, room) {
    var perLine = Math.max(6, Math.floor(room / 6.4)), out = [], line = "";
    String(text).split(" ").forEach(function (word) {
      if (line && (line + " " + word).length > perLine) { out.push(line); line = word; }
      else line = line ? line + " " + word : word;
    });
    if (line) out.push(line);
    return out;
  }

  // A text of one or more lines (tspans); the whole label stays in data-label.
  function lines(svg, rows, attrs, full) {
    var node = el("text", Object.assign({ "data-label": full }, attrs), svg);
    if (rows.length === 1) node.textContent = rows[0];
    else rows.forEach(function (line, k) { el("tspan", { x: attrs.x, dy: k ? 13 : 0 }, node).textContent = line; });
    return node;
  }

  function axes(svg, spec, chart, scale) {
    var flagged = chart.keys.some(function (key) { return (spec.partial || {})[String(key)]; });
    M.top = flagged ? 40 : 16;
    var plotW = W - M.left - M.right;
    var n = chart.categories.length, band = plotW / Math.max(n, 1);
    // Many categories: slant the labels so each keeps its name; very long series skip some.
    // Upright labels wider than their band wrap onto more lines; the plot gives up the room.
    var slant = n > 8, every = Math.max(1, Math.ceil(n / 24));
    var names = chart.categories.map(function (text) { return slant ? [text] : wrap(text, band - 8); });
    var subs = (chart.sublabels || []).map(function (text) { return text ? wrap(text, band - 8) : []; });
    var depth = 0;
    names.forEach(function (rows, i) { depth = Math.max(depth, rows.length - 1 + Math.max((subs[i] || []).length - 1, 0)); });
    // Slanted labels reach further down (about half their length): keep clear of the axis label.
    M.bottom = (slant ? 86 : 72) + 13 * depth;
    var plotH = H - M.top - M.bottom;
    partials(svg, spec, chart, band);
    for (var v = 0; v <= scale.max + scale.step / 1000; v += scale.step) {
      var y = M.top + plotH - (v / scale.max) * plotH;
      el("line", { x1: M.left, x2: M.left + plotW, y1: y, y2: y, class: "grid" }, svg);
      el("text", { x: M.left - 8, y: y + 4, "text-anchor": "end", class: "tick" }, svg).textContent = format(v, spec.unit, true);
    }
    chart.categories.forEach(function (text, i) {
      if (i % every) return;
      var x = M.left + band * (i + 0.5), y = H - M.bottom + (slant ? 12 : 18);
      var attrs = { x: x, y: y, "text-anchor": slant ? "end" : "middle", class: "tick x-tick" };
      if (slant) attrs.transform = "rotate(-30 " + x + " " + y + ")";
      lines(svg, names[i], attrs, text);
      if (subs[i] && subs[i].length) {
        lines(svg, subs[i], { x: x, y: y + 13 * (names[i].length - 1) + 15, "text-anchor": "middle", class: "tick share" }, chart.sublabels[i]);
      }
    });
    var low = slant || chart.sublabels;
    if (spec.xLabel) el("text", { x: M.left + plotW / 2, y: low ? H - 8 : H - M.bottom + 42 + 13 * depth, "text-anchor": "middle", class: "axis-label" }, svg).textContent = spec.xLabel;
    el("line", { x1: M.left, x2: M.left + plotW, y1: M.top + plotH, y2: M.top + plotH, class: "axis" }, svg);
    return { plotH: plotH, band: band };
  }

  function tip(node, text) { el("title", {}, node).textContent = text; }

  function markAttrs(chart, i, s, v) {
    return { class: "mark", "data-x": chart.categories[i], "data-series": s.name, "data-value": String(v) };
  }

  function drawBars(svg, spec, chart, stacked) {
    var max = 0;
    chart.categories.forEach(function (_, i) {
      var sum = 0;
      chart.series.forEach(function (s) {
        var v = s.values[i];
        if (v > 0) { sum = stacked ? sum + v : Math.max(sum, v); }
      });
      max = Math.max(max, sum);
    });
    var scale = niceScale(max, spec.unit), g = axes(svg, spec, chart, scale), marks = 0;
    var n = chart.series.length;
    // Bars stay narrow enough to read as bars when there are only a few categories.
    var inner = Math.min(g.band * 0.72, stacked ? 110 : n * 90);
    chart.categories.forEach(function (label, i) {
      var x0 = M.left + g.band * i + (g.band - inner) / 2, base = M.top + g.plotH;
      chart.series.forEach(function (s, j) {
        var v = s.values[i], width = Math.max(inner / n - 2, 1), x = x0 + (inner / n) * j;
        if (missing(v)) {
          // A missing side-by-side bar the spec names (e.g. no cache data) shows "—", not 0.
          if (!stacked && spec.nullText && s.present[i]) {
            var group = el("g", {}, svg);
            tip(group, label + " · " + s.name + ": " + spec.nullLegend);
            el("text", { x: x + width / 2, y: base - 5, "text-anchor": "middle", class: "value null-mark", "data-x": label, "data-series": s.name }, group)
              .textContent = spec.nullText;
          }
          return;
        }
        if (!(v > 0)) {
          // A real zero side by side with other bars: its value, on the axis.
          if (!stacked && v === 0 && width >= 24) {
            el("text", { x: x + width / 2, y: base - 5, "text-anchor": "middle", class: "value zero", "data-x": label, "data-series": s.name }, svg)
              .textContent = format(v, spec.unit, true);
          }
          return;
        }
        // Small positive values keep a visible sliver: the AI part next to a large review cost.
        var h = Math.max((v / scale.max) * g.plotH, 2);
        var attrs = stacked
          ? { x: x0, y: base - h, width: inner, height: h }
          : { x: x, y: M.top + g.plotH - h, width: width, height: h };
        var rect = el("rect", Object.assign(attrs, { fill: s.colour }, markAttrs(chart, i, s, v)), svg);
        tip(rect, label + " · " + s.name + ": " + format(v, spec.unit));
        if (!stacked && attrs.width >= 24) {
          // Side-by-side bars are few and wide enough to carry their value.
          el("text", { x: attrs.x + attrs.width / 2, y: attrs.y - 4, "text-anchor": "middle", class: "value", "data-x": label, "data-series": s.name }, svg)
            .textContent = format(v, spec.unit, true);
        }
        if (stacked) base -= h;
        marks++;
      });
    });
    return marks;
  }

  // Stacked shares as horizontal bars, one row per category: names of any length read across,
  // however many teams there are; the second label (e.g. share of all spend) sits at the right.
  function drawRows(svg, spec, chart) {
    var rowH = 30, barH = 18, top = 8, bottom = 44, right = 112;
    var longest = chart.categories.reduce(function (n, text) { return Math.max(n, String(text).length); }, 0);
    var left = Math.min(Math.max(longest * 6.4 + 14, 80), 250);
    var names = chart.categories.map(function (text) { return wrap(text, left - 14).slice(0, 2); });
    var height = top + chart.categories.length * rowH + bottom;
    svg.setAttribute("viewBox", "0 0 " + W + " " + height);
    var plotW = W - left - right, scale = niceScale(1, spec.unit), marks = 0, base = top + chart.categories.length * rowH;
    for (var v = 0; v <= scale.max + scale.step / 1000; v += scale.step) {
      var x = left + (v / scale.max) * plotW;
      el("line", { x1: x, x2: x, y1: top, y2: base, class: "grid" }, svg);
      el("text", { x: x, y: base + 16, "text-anchor": "middle", class: "tick" }, svg).textContent = format(v, spec.unit, true);
    }
    if (spec.xLabel) el("text", { x: left + plotW / 2, y: height - 6, "text-anchor": "middle", class: "axis-label" }, svg).textContent = "share of the " + spec.xLabel + "'s usage spend";
    chart.categories.forEach(function (text, i) {
      var y = top + rowH * i + (rowH - barH) / 2, mid = y + barH / 2;
      var rows = names[i];
      lines(svg, rows, { x: left - 8, y: mid + 4 - (rows.length - 1) * 6.5, "text-anchor": "end", class: "tick x-tick" }, text);
      if (chart.sublabels && chart.sublabels[i]) {
        lines(svg, [chart.sublabels[i]], { x: left + plotW + 8, y: mid + 4, "text-anchor": "start", class: "tick share" }, chart.sublabels[i]);
      }
      var x0 = left;
      chart.series.forEach(function (s) {
        var v = s.values[i];
        if (missing(v) || !(v > 0)) return;
        var w = (v / scale.max) * plotW;
        var rect = el("rect", Object.assign({ x: x0, y: y, width: w, height: barH, fill: s.colour }, markAttrs(chart, i, s, v)), svg);
        tip(rect, text + " · " + s.name + ": " + format(v, spec.unit));
        x0 += w;
        marks++;
      });
    });
    el("line", { x1: left, x2: left, y1: top, y2: base, class: "axis" }, svg);
    return marks;
  }

  function drawLines(svg, spec, chart) {
    var max = 0;
    // Short curves carry their values: the highest point's label above it, the others below.
    var labelled = chart.categories.length <= 8 && chart.series.length <= 3;
    chart.series.forEach(function (s) { s.values.forEach(function (v) { if (v > max) max = v; }); });
    var scale = niceScale(max, spec.unit), g = axes(svg, spec, chart, scale), marks = 0;
    chart.series.forEach(function (s) {
      var path = "", open = false;
      s.values.forEach(function (v, i) {
        if (missing(v)) { open = false; return; }  // a gap stays a gap
        var x = M.left + g.band * (i + 0.5), y = M.top + g.plotH - (v / scale.max) * g.plotH;
        path += (open ? "L" : "M") + x.toFixed(1) + "," + y.toFixed(1);
        open = true;
        var dot = el("circle", Object.assign({ cx: x, cy: y, r: 4, fill: s.colour }, markAttrs(chart, i, s, v)), svg);
        tip(dot, chart.categories[i] + " · " + s.name + ": " + format(v, spec.unit));
        if (labelled) {
          var highest = chart.series.every(function (o) { return !(o.values[i] > v); });
          el("text", { x: x, y: highest ? y - 9 : y + 18, "text-anchor": "middle", class: "value", fill: s.colour }, svg)
            .textContent = format(v, spec.unit);
        }
        marks++;
      });
      if (path) el("path", { d: path, stroke: s.colour, fill: "none", "stroke-width": 2.5, class: "line" }, svg);
    });
    return marks;
  }

  function legend(section, spec, chart) {
    var box = section.querySelector(".legend");
    chart.series.forEach(function (s) {
      var item = html("span", "legend-item", null, box);
      var swatch = html("i", null, null, item);
      swatch.style.background = s.colour;
      var none = spec.nullLegend && s.values.every(function (v, i) { return missing(v) || !s.present[i]; });
      item.appendChild(document.createTextNode(s.name + (none ? " (" + NONE + " " + spec.nullLegend + ")" : "")));
    });
  }

  // ---- tables --------------------------------------------------------------------------------

  function cell(row, text, tag) { html(tag || "td", null, text, row); }

  function groupRows(rows, fields) {
    var groups = {}, order = [];
    rows.forEach(function (row) {
      var key = JSON.stringify(fields.map(function (f) { return row[f]; }));
      if (!(key in groups)) { groups[key] = []; order.push(key); }
      groups[key].push(row);
    });
    return order.map(function (key) { return { values: JSON.parse(key), rows: groups[key] }; });
  }

  // A table of measures by one or more row fields (e.g. platform; group × horizon).
  function measureTable(table, rows, allRows) {
    var node = html("table");
    var head = html("tr", null, null, node);
    table.by.forEach(function (f) { cell(head, f, "th"); });
    table.columns.forEach(function (c) { cell(head, c.label, "th"); });
    var groups = groupRows(rows, table.by);
    var order = table.order || [];
    var rank = function (g) { var i = order.indexOf(g.values[0]); return i < 0 ? order.length : i; };
    var byValues = function (a, b) {
      for (var i = 0; i < a.values.length; i++) {
        var u = a.values[i], v = b.values[i];
        var d = typeof u === "number" && typeof v === "number" ? u - v : String(u).localeCompare(String(v));
        if (d) return d;
      }
      return 0;
    };
    if (table.sort) {
      groups.sort(function (a, b) {
        var d = (measure(b.rows, table.sort, allRows) || 0) - (measure(a.rows, table.sort, allRows) || 0);
        return table.sort.desc ? d : -d;
      });
    } else {
      groups.sort(function (a, b) {
        return rank(a) - rank(b) || byValues(a, b);
      });
    }
    groups.forEach(function (g) {
      var tr = html("tr", null, null, node);
      g.values.forEach(function (value, i) {
        var labels = (table.labels || {})[table.by[i]] || {};
        cell(tr, labels[String(value)] || String(value));
      });
      table.columns.forEach(function (c) { cell(tr, format(measure(g.rows, c, allRows), c.unit)); });
    });
    return node;
  }

  // The chart's own values, categories across: every value legible, "—" where there is none.
  function pivotTable(table, chart, spec) {
    var node = html("table");
    var head = html("tr", null, null, node);
    cell(head, table.corner || "", "th");
    chart.categories.forEach(function (c) { cell(head, c, "th"); });
    chart.series.forEach(function (s) {
      var tr = html("tr", null, null, node);
      cell(tr, s.name);
      s.values.forEach(function (v) { cell(tr, format(v, spec.unit)); });
    });
    return node;
  }

  function plural(n, unit) { return Math.round(n).toLocaleString("en-US") + " " + (Math.round(n) === 1 ? unit[0] : unit[1]); }

  // What a source's checks found, in words: "1 unpriced model (composer-2), 479 sessions".
  function findings(rows, checks, info, state) {
    var unit = info.unit, records = total(rows, "record_count") || 0, out = [];
    var ranged = !isDefault(state, "from") || !isDefault(state, "to");
    checks.forEach(function (check) {
      var n = total(rows, check.column);
      if (!n) return;
      var names = [];
      if (check.names) {
        rows.forEach(function (row) {
          (row[check.names] || []).forEach(function (name) { if (names.indexOf(name) < 0) names.push(name); });
        });
        names.sort();
      }
      if (check.kind === "unpriced_model") {
        out.push(names.length
          ? names.length + " unpriced model" + (names.length === 1 ? "" : "s") + " (" + names.join(", ") + "), " + plural(n, unit)
          : plural(n, unit) + " with a model that has no list price");
      } else if (check.kind === "unresolved_identity") {
        var people = info.unresolvedPeople;
        if (unit[0] === "pull request") out.push(plural(n, unit) + " by authors who resolve to no person");
        else if (people) out.push(plural(people, ["unresolved person", "unresolved people"]) + (ranged ? " (all loaded days)" : "") + ", " + plural(n, unit));
        else out.push(plural(n, unit) + " by unresolved identities");
      } else {
        // A check this page does not know yet: its name and counts.
        out.push(check.label + (names.length ? " (" + names.join(", ") + ")" : "") + ": " + Math.round(n).toLocaleString("en-US") + " of " + plural(records, unit));
      }
    });
    return out.length ? out.join("; ") : "nothing to flag";
  }

  function qualityTable(table, rows, state) {
    var node = html("table");
    var head = html("tr", null, null, node);
    ["source", "records", "latest activity (UTC)", "days since", "what needs a look", "unattributed share"]
      .forEach(function (text) { cell(head, text, "th"); });
    head.children[4].className = "findings";
    groupRows(rows, ["source_name"])
      .sort(function (a, b) { return String(a.values[0]).localeCompare(String(b.values[0])); })
      .forEach(function (g) {
        var source = g.values[0], info = table.sources[source] || { unit: ["record", "records"] };
        var tr = html("tr", null, null, node);
        tr.setAttribute("data-source", source);
        cell(tr, source);
        cell(tr, plural(total(g.rows, "record_count") || 0, info.unit));
        cell(tr, info.latest || NONE);
        cell(tr, missing(info.daysSince) ? NONE : String(info.daysSince));
        html("td", "findings", findings(g.rows, table.checks, info, state), tr);
        cell(tr, format(measure(g.rows, { num: "unattributed_spend_usd", den: "spend_usd" }), "pct"));
      });
    return node;
  }

  function drawTable(section, spec, chart, rows, allRows, state) {
    var table = spec.table, box = section.querySelector(".table-wrap");
    if (!table) return;
    if (table.quality) box.appendChild(qualityTable(table, table.rows.filter(keep(spec, state)), state));
    else if (table.pivot) { if (chart.series.length) box.appendChild(pivotTable(table, chart, spec)); }
    else if (rows.length) box.appendChild(measureTable(table, rows, allRows));
  }

  // ---- one chart -----------------------------------------------------------------------------

  function clear(section) {
    ["data-drawn", "data-error", "data-layout"].forEach(function (name) { section.removeAttribute(name); });
    section.querySelector(".plot").innerHTML = "";
    section.querySelector(".legend").innerHTML = "";
    section.querySelector(".table-wrap").innerHTML = "";
  }

  function say(section, text, className) {
    var p = html("p", className, text);
    section.querySelector(".plot").appendChild(p);
  }

  function draw(section, spec, state) {
    var everything = ["from", "to", "team", "platform"].every(function (key) { return isDefault(state, key); });
    section.querySelector(".scope").textContent = scope(spec, state);
    var rows = spec.rows.filter(keep(spec, state));
    var allRows = spec.rows.filter(keep(spec, state, true));
    var chart = build(spec, rows, allRows);
    drawTable(section, spec, chart, rows, allRows, state);
    var hasValue = chart.series.some(function (s) { return s.values.some(function (v) { return !missing(v); }); });
    if (!hasValue) {
      // An empty mart, or a reason the page states, is an honest "no data"; on the unfiltered
      // page, rows that give nothing to draw are an error.
      var text = !spec.rows.length ? spec.emptyText
        : spec.noValueText || (everything ? "" : "Nothing to draw for the selected filters.");
      if (rows.length === 0 && spec.rows.length) text = "No data for the selected filters.";
      if (!text) throw new Error("the mart has rows but none gives a value to draw");
      say(section, text, "empty");
      section.setAttribute("data-drawn", "0");
      return;
    }
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": section.querySelector("h2").textContent });
    section.querySelector(".plot").appendChild(svg);
    var marks = spec.kind === "line" ? drawLines(svg, spec, chart)
      : spec.kind === "rows" ? drawRows(svg, spec, chart)
      : drawBars(svg, spec, chart, spec.kind === "stacked");
    if (!marks) throw new Error("no mark drawn");
    legend(section, spec, chart);
    section.setAttribute("data-drawn", String(marks));
  }

  // A text's box on screen as four corners, through its own transform (slanted labels), so
  // that two labels overlap only when their text does, not their upright bounding boxes.
  function corners(node) {
    var b = node.getBBox(), m = node.getScreenCTM();
    return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]]
      .map(function (p) { return [m.a * p[0] + m.c * p[1] + m.e, m.b * p[0] + m.d * p[1] + m.f]; });
  }

  // Two convex boxes overlap by more than a pixel: no edge direction separates them.
  function overlap(p, q) {
    return [p, q].every(function (poly) {
      return poly.every(function (corner, i) {
        var next = poly[(i + 1) % poly.length], nx = next[1] - corner[1], ny = corner[0] - next[0];
        var length = Math.sqrt(nx * nx + ny * ny) || 1;
        var project = function (points) {
          var values = points.map(function (pt) { return (pt[0] * nx + pt[1] * ny) / length; });
          return [Math.min.apply(null, values), Math.max.apply(null, values)];
        };
        var a = project(p), b = project(q);
        return Math.min(a[1], b[1]) - Math.max(a[0], b[0]) > 1;
      });
    });
  }

  // Where the chart landed: its SVG's box in the page, how many of its marks and labels fall
  // outside it (clipped), and how many pairs of axis labels overlap (unreadable) — for the
  // screenshot checks of the tests.
  function measureLayout(section) {
    var svg = section.querySelector(".plot svg");
    if (!svg) return;
    var box = svg.getBoundingClientRect(), outside = 0, overlaps = 0;
    Array.prototype.forEach.call(svg.querySelectorAll("rect, circle, text, path"), function (node) {
      var r = node.getBoundingClientRect();
      if (!r.width && !r.height) return;
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) outside++;
    });
    var labels = Array.prototype.map.call(svg.querySelectorAll("text.tick, text.partial-label, text.axis-label"), corners);
    labels.forEach(function (a, i) {
      labels.slice(i + 1).forEach(function (b) { if (overlap(a, b)) overlaps++; });
    });
    section.setAttribute("data-layout", JSON.stringify({
      left: Math.round(box.left + scrollX), top: Math.round(box.top + scrollY),
      width: Math.round(box.width), height: Math.round(box.height), outside: outside, overlaps: overlaps
    }));
  }

  function kpis(state) {
    var specs = {};
    data.charts.forEach(function (spec) { specs[spec.id] = spec; });
    data.kpis.forEach(function (kpi, i) {
      var spec = specs[kpi.chart], node = document.querySelector('[data-kpi="' + i + '"]');
      var rows = spec.rows.filter(keep(spec, state)), allRows = spec.rows.filter(keep(spec, state, true));
      node.querySelector("b").textContent = format(measure(rows, kpi.measure, allRows), kpi.unit);
      node.classList.toggle("unscoped", !!state.team && !spec.filters.team);
      node.title = state.team && !spec.filters.team ? "all teams: the team filter does not apply to this figure" : "";
    });
  }

  function render() {
    var state = readState();
    syncForm(state);
    kpis(state);
    data.charts.forEach(function (spec) {
      var section = document.getElementById("chart-" + spec.id);
      clear(section);
      try {
        draw(section, spec, state);
      } catch (error) {
        section.setAttribute("data-error", String(error.message || error));
        say(section, "This chart could not be drawn: " + (error.message || error), "error");
      }
    });
    // Layout after every chart is in place (a chart above moves the ones below).
    data.charts.forEach(function (spec) { measureLayout(document.getElementById("chart-" + spec.id)); });
    var root = document.documentElement;
    document.body.setAttribute("data-viewport", JSON.stringify({
      width: root.clientWidth, scrollWidth: root.scrollWidth, height: root.scrollHeight
    }));
    document.body.setAttribute("data-charts-done", String(data.charts.length));
  }

  function onChange() {
    var state = readState();
    ["from", "to", "team", "platform"].forEach(function (key) { state[key] = form.elements[key].value; });
    if (state.from > state.to) state.to = state.from;
    writeState(state);
    render();
  }

  form.addEventListener("change", onChange);
  form.elements.reset.addEventListener("click", function () { syncForm(defaults()); onChange(); });
  window.addEventListener("hashchange", render);
  render();
})();
