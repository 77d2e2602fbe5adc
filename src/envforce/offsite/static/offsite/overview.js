/* District overview: monitoring points drawn by longitude/latitude on a plain value grid (no map
   tiles, works offline), coloured by state; a click opens the point's page. CSP: no inline
   script; data from the JSON endpoint named in data-url. */
(function () {
  "use strict";
  var el = document.getElementById("district-map");
  if (!el || typeof echarts === "undefined") { return; }
  var COLORS = { normal: "#198754", exceeding: "#dc3545", abnormal: "#fd7e14", offline: "#6c757d" };
  var chart = echarts.init(el, null, { renderer: "canvas" });
  chart.showLoading({ text: "加载中…" });
  fetch(el.dataset.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (data) {
      chart.hideLoading();
      var lons = data.points.map(function (p) { return p.lon; });
      var lats = data.points.map(function (p) { return p.lat; });
      var pad = 0.005;
      var series = data.states.map(function (s) {
        return {
          name: s.label, type: "scatter", symbolSize: s.key === "normal" ? 8 : 13,
          itemStyle: { color: COLORS[s.key] || "#0d6efd", borderColor: "#fff", borderWidth: 1 },
          emphasis: { scale: 1.6 },
          z: s.key === "normal" ? 1 : 3,
          data: data.points.filter(function (p) { return p.state === s.key; }).map(function (p) {
            return { value: [p.lon, p.lat], name: p.name, point: p };
          })
        };
      });
      chart.setOption({
        animation: false,
        legend: { top: 4 },
        grid: { left: 60, right: 24, top: 40, bottom: 40 },
        tooltip: {
          trigger: "item",
          formatter: function (p) {
            var d = p.data.point;
            var esc = function (t) { return String(t).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;" }[c]; }); };
            return esc(d.name) + "<br>" + esc(d.outlet) + "（MN " + esc(d.mn) + "）<br>状态：" + esc(d.label) +
              (d.open ? "，待审核事件 " + d.open : "");
          }
        },
        xAxis: { type: "value", name: "经度", min: lons.length ? Math.min.apply(null, lons) - pad : 121.3,
          max: lons.length ? Math.max.apply(null, lons) + pad : 121.5, axisLabel: { formatter: function (v) { return v.toFixed(2); } },
          splitLine: { lineStyle: { type: "dashed", color: "#eee" } } },
        yAxis: { type: "value", name: "纬度", min: lats.length ? Math.min.apply(null, lats) - pad : 31.2,
          max: lats.length ? Math.max.apply(null, lats) + pad : 31.3, axisLabel: { formatter: function (v) { return v.toFixed(2); } },
          splitLine: { lineStyle: { type: "dashed", color: "#eee" } } },
        dataZoom: [{ type: "inside", xAxisIndex: 0, filterMode: "none" }, { type: "inside", yAxisIndex: 0, filterMode: "none" }],
        series: series
      });
      chart.on("click", function (p) { if (p.data && p.data.point) { window.location.href = p.data.point.url; } });
      el.dataset.rendered = String(data.points.length);
    })
    .catch(function () { chart.hideLoading(); el.textContent = "点位数据加载失败，请刷新重试。"; });
  window.addEventListener("resize", function () { chart.resize(); });
})();
