// Draws every chart of the tokenworth report as inline SVG from the JSON embedded in the page.
// No libraries and no network: the file must work offline. Each chart section records what it
// drew in data-drawn (the number of marks) or, on failure, data-error with a visible message, so
// a headless browser can check the page.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var W = 760, H = 320, M = { top: 16, right: 16, bottom: 66, left: 64 };

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(node);
    return node;
  }

  function format(value, unit, short) {
    if (value === null || value === undefined || isNaN(value)) return "–";
    if (unit === "usd") {
      // Axis ticks drop cents unless the step needs them; values keep cents below $100.
      var digits = short ? (Number.isInteger(value) ? 0 : 2) : (Math.abs(value) >= 100 ? 0 : 2);
      if (short && Math.abs(value) >= 1000) return "$" + (value / 1000).toFixed(1) + "k";
      return "$" + value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
    }
    if (unit === "pct") return (value * 100).toFixed(short ? 0 : 1) + "%";
    if (unit === "hours") return value.toFixed(short && Number.isInteger(value) ? 0 : 1) + " h";
    return value.toLocaleString("en-US", { maximumFractionDigits: 2 });
  }

  // A "nice" upper bound and tick step for the y axis.
  function niceScale(max, unit) {
    if (!(max > 0)) max = 1;
    // Shares that add up to 1 (stacked classes) may exceed it by a rounding error.
    if (unit === "pct" && max <= 1.0001) return { max: max > 0.5 ? 1 : Math.ceil(max * 10) / 10, step: max > 0.5 ? 0.25 : 0.1 };
    var raw = max / 5, pow = Math.pow(10, Math.floor(Math.log10(raw))), step = pow;
    [1, 2, 2.5, 5, 10].some(function (m) { step = m * pow; return raw <= step; });
    return { max: Math.ceil(max / step) * step, step: step };
  }

  function axes(svg, spec, scale) {
    var plotH = H - M.top - M.bottom, plotW = W - M.left - M.right;
    for (var v = 0; v <= scale.max + scale.step / 1000; v += scale.step) {
      var y = M.top + plotH - (v / scale.max) * plotH;
      el("line", { x1: M.left, x2: M.left + plotW, y1: y, y2: y, class: "grid" }, svg);
      el("text", { x: M.left - 8, y: y + 4, "text-anchor": "end", class: "tick" }, svg).textContent = format(v, spec.unit, true);
    }
    var n = spec.categories.length, band = plotW / Math.max(n, 1);
    // Many categories: slant the labels so each keeps its name; very long series skip some.
    var slant = n > 8, every = Math.max(1, Math.ceil(n / 24));
    spec.categories.forEach(function (label, i) {
      if (i % every) return;
      var x = M.left + band * (i + 0.5), y = H - M.bottom + (slant ? 12 : 18);
      var attrs = { x: x, y: y, "text-anchor": slant ? "end" : "middle", class: "tick" };
      if (slant) attrs.transform = "rotate(-30 " + x + " " + y + ")";
      el("text", attrs, svg).textContent = label;
    });
    if (spec.xLabel) el("text", { x: M.left + plotW / 2, y: slant ? H - 6 : H - M.bottom + 40, "text-anchor": "middle", class: "axis-label" }, svg).textContent = spec.xLabel;
    el("line", { x1: M.left, x2: M.left + plotW, y1: M.top + plotH, y2: M.top + plotH, class: "axis" }, svg);
    return { plotH: plotH, band: band };
  }

  function tip(node, text) { el("title", {}, node).textContent = text; }

  function drawBars(svg, spec, stacked) {
    var max = 0;
    spec.categories.forEach(function (_, i) {
      var sum = 0;
      spec.series.forEach(function (s) {
        var v = s.values[i];
        if (v > 0) { sum = stacked ? sum + v : Math.max(sum, v); }
      });
      max = Math.max(max, sum);
    });
    var scale = niceScale(max, spec.unit), g = axes(svg, spec, scale), marks = 0;
    var n = spec.series.length;
    // Bars stay narrow enough to read as bars when there are only a few categories.
    var inner = Math.min(g.band * 0.72, stacked ? 110 : n * 90);
    spec.categories.forEach(function (label, i) {
      var x0 = M.left + g.band * i + (g.band - inner) / 2, base = M.top + g.plotH;
      spec.series.forEach(function (s, j) {
        var v = s.values[i];
        if (v === null || v === undefined || !(v > 0)) return;
        var h = (v / scale.max) * g.plotH;
        var attrs = stacked
          ? { x: x0, y: base - h, width: inner, height: h }
          : { x: x0 + (inner / n) * j, y: M.top + g.plotH - h, width: Math.max(inner / n - 2, 1), height: h };
        var rect = el("rect", Object.assign(attrs, { fill: s.colour, class: "mark" }), svg);
        tip(rect, label + " · " + s.name + ": " + format(v, spec.unit));
        if (!stacked && attrs.width >= 24) {
          // Side-by-side bars are few and wide enough to carry their value.
          el("text", { x: attrs.x + attrs.width / 2, y: attrs.y - 4, "text-anchor": "middle", class: "value" }, svg)
            .textContent = format(v, spec.unit, true);
        }
        if (stacked) base -= h;
        marks++;
      });
    });
    return marks;
  }

  function drawLines(svg, spec) {
    var max = 0;
    // Short curves carry their values: the highest point's label above it, the others below.
    var labelled = spec.categories.length <= 8 && spec.series.length <= 3;
    spec.series.forEach(function (s) { s.values.forEach(function (v) { if (v > max) max = v; }); });
    var scale = niceScale(max, spec.unit), g = axes(svg, spec, scale), marks = 0;
    spec.series.forEach(function (s) {
      var path = "", open = false;
      s.values.forEach(function (v, i) {
        if (v === null || v === undefined) { open = false; return; }  // a gap stays a gap
        var x = M.left + g.band * (i + 0.5), y = M.top + g.plotH - (v / scale.max) * g.plotH;
        path += (open ? "L" : "M") + x.toFixed(1) + "," + y.toFixed(1);
        open = true;
        var dot = el("circle", { cx: x, cy: y, r: 4, fill: s.colour, class: "mark" }, svg);
        tip(dot, spec.categories[i] + " · " + s.name + ": " + format(v, spec.unit));
        if (labelled) {
          var highest = spec.series.every(function (o) { return !(o.values[i] > v); });
          el("text", { x: x, y: highest ? y - 9 : y + 18, "text-anchor": "middle", class: "value", fill: s.colour }, svg)
            .textContent = format(v, spec.unit);
        }
        marks++;
      });
      if (path) el("path", { d: path, stroke: s.colour, fill: "none", "stroke-width": 2.5, class: "line" }, svg);
    });
    return marks;
  }

  function legend(container, spec) {
    var box = container.querySelector(".legend");
    spec.series.forEach(function (s) {
      var item = document.createElement("span");
      item.className = "legend-item";
      var swatch = document.createElement("i");
      swatch.style.background = s.colour;
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(s.name));
      box.appendChild(item);
    });
  }

  function draw(section, spec) {
    var plot = section.querySelector(".plot");
    var hasValue = spec.series.some(function (s) { return s.values.some(function (v) { return v !== null && v !== undefined; }); });
    if (!hasValue) {
      // Only an empty mart (or a reason the page states) is an honest "no data"; data that
      // yields nothing drawable is an error.
      if (spec.emptyText) {
        plot.innerHTML = '<p class="empty"></p>';
        plot.querySelector(".empty").textContent = spec.emptyText;
        section.setAttribute("data-drawn", "0");
        return;
      }
      throw new Error("the mart has rows but none gives a value to draw");
    }
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": section.querySelector("h2").textContent });
    plot.appendChild(svg);
    var marks = spec.kind === "line" ? drawLines(svg, spec) : drawBars(svg, spec, spec.kind === "stacked");
    if (!marks) throw new Error("no mark drawn");
    legend(section, spec);
    section.setAttribute("data-drawn", String(marks));
  }

  var data = JSON.parse(document.getElementById("report-data").textContent);
  data.charts.forEach(function (spec) {
    var section = document.getElementById("chart-" + spec.id);
    try {
      draw(section, spec);
    } catch (error) {
      section.setAttribute("data-error", String(error.message || error));
      section.querySelector(".plot").innerHTML = '<p class="error"></p>';
      section.querySelector(".plot .error").textContent = "This chart could not be drawn: " + (error.message || error);
    }
  });
  document.body.setAttribute("data-charts-done", String(data.charts.length));
})();
