/* A monitoring point's chart: the factor's values over the period, the limit drawn as a line
   (two for pH-like limits), alarms as shaded areas (red: exceedance, orange: signals), the
   enterprise's marks as grey areas. Data from the JSON endpoint in data-url (CSP: no inline
   script). */
(function () {
  "use strict";
  var el = document.getElementById("point-chart");
  if (!el || typeof echarts === "undefined") { return; }
  var chart = echarts.init(el, null, { renderer: "canvas" });
  chart.showLoading({ text: "加载中…" });
  fetch(el.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (d) {
      chart.hideLoading();
      var unit = d.unit ? " " + d.unit : "";
      var lines = [];
      if (d.limit_upper !== null) { lines.push({ yAxis: d.limit_upper, name: "限值", label: { formatter: "限值 " + d.limit_upper + unit } }); }
      if (d.limit_lower !== null) { lines.push({ yAxis: d.limit_lower, name: "下限", label: { formatter: "下限 " + d.limit_lower + unit } }); }
      var areas = d.alarms.map(function (a) {
        return [{ xAxis: a.start, name: a.label, itemStyle: { color: a.exceedance ? "rgba(220,53,69,0.18)" : "rgba(253,126,20,0.18)" } },
                { xAxis: a.end }];
      });
      var markAreas = d.marks.map(function (m) {
        return [{ xAxis: m.start, name: "企业标记：" + m.label, itemStyle: { color: "rgba(108,117,125,0.15)" } }, { xAxis: m.end }];
      });
      var flagged = d.points.filter(function (p) { return p.length > 2 && p[2] && p[2] !== "N"; })
        .slice(0, 200).map(function (p) { return { coord: [p[0], p[1]], value: p[2] }; });
      chart.setOption({
        animation: false,
        title: { text: d.name + "（" + d.code + "）" + (d.cn_label ? " · " + d.cn_label : ""), left: 8, top: 4, textStyle: { fontSize: 14 } },
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + unit; } },
        grid: { left: 56, right: 80, top: 44, bottom: 64 },
        xAxis: { type: "time", min: d.start, max: d.end },
        yAxis: { type: "value", name: d.unit || "", scale: true },
        dataZoom: [{ type: "inside" }, { type: "slider", height: 20, bottom: 16 }],
        series: [
          {
            name: d.name, type: "line", showSymbol: false, connectNulls: false, sampling: "lttb",
            data: d.points.map(function (p) { return [p[0], p[1]]; }),
            lineStyle: { width: 1.5, color: "#0d6efd" },
            markLine: { symbol: "none", lineStyle: { color: "#dc3545", type: "dashed", width: 1.5 }, data: lines },
            markArea: { silent: false, label: { show: true, position: "insideTop", fontSize: 10 }, data: areas.concat(markAreas) },
            markPoint: { symbol: "pin", symbolSize: 26, itemStyle: { color: "#6c757d" }, label: { fontSize: 9 }, data: flagged }
          }
        ]
      });
      el.dataset.rendered = String(d.points.length);
      if (!d.points.length) { el.insertAdjacentHTML("beforebegin", "<p class=\"text-muted small\" data-testid=\"no-data\">所选时段无数据。</p>"); }
    })
    .catch(function () { chart.hideLoading(); el.textContent = "数据加载失败，请刷新重试。"; });
  window.addEventListener("resize", function () { chart.resize(); });
})();
