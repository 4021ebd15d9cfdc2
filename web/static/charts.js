// Dashboard charts with ECharts, within the pages' strict CSP: the canvas
// renderer, and tooltips drawn as rich text on the canvas (ECharts' HTML
// tooltips carry inline styles, which the policy refuses).
//
// Markup: <div class="chart" data-chart-option='{{ option | tojson }}'
// role="img" aria-label="…"></div>. The option is plain JSON (no functions).
// Load this file after echarts.min.js, both with `defer`, on dashboard pages only.
(function () {
  "use strict";

  function richTooltips(option) {
    var tips = option.tooltip;
    if (!tips) {
      return;
    }
    (Array.isArray(tips) ? tips : [tips]).forEach(function (tip) {
      tip.renderMode = "richText";
    });
  }

  function draw(root) {
    var locale = document.documentElement.lang === "en" ? "EN" : "ZH";
    root.querySelectorAll(".chart[data-chart-option]").forEach(function (el) {
      if (window.echarts.getInstanceByDom(el)) {
        return;
      }
      var option;
      try {
        option = JSON.parse(el.getAttribute("data-chart-option"));
      } catch (e) {
        return;
      }
      richTooltips(option);
      option.aria = option.aria || { enabled: true };
      window.echarts
        .init(el, null, { renderer: "canvas", locale: locale })
        .setOption(option);
    });
  }

  function resizeAll() {
    document.querySelectorAll(".chart[data-chart-option]").forEach(function (el) {
      var chart = window.echarts.getInstanceByDom(el);
      if (chart) {
        chart.resize();
      }
    });
  }

  function start() {
    if (!window.echarts) {
      return;
    }
    draw(document);
    window.addEventListener("resize", resizeAll);
    // Charts swapped in by htmx.
    document.addEventListener("htmx:afterSettle", function (event) {
      draw(event.target);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
