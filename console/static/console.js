// The console's only script of its own: draws the ECharts charts a page describes in JSON
// (<div class="chart" data-chart="id"> with <script type="application/json" id="id">), and
// follows a chart's links (a bar whose data item has "href"). Pages read fine without it.
(function () {
  function draw(root) {
    if (!window.echarts) return;
    root.querySelectorAll('[data-chart]').forEach(function (element) {
      if (element.dataset.drawn) return;
      var source = document.getElementById(element.dataset.chart);
      if (!source) return;
      var option = JSON.parse(source.textContent);
      var chart = window.echarts.init(element, null, { renderer: 'svg' });
      chart.setOption(option);
      chart.on('click', function (event) {
        var href = event.data && event.data.href;
        if (href) window.location.href = href;
      });
      window.addEventListener('resize', function () {
        chart.resize();
      });
      element.dataset.drawn = 'true';
    });
  }
  function load() {
    if (!document.querySelector('[data-chart]')) return;
    if (window.echarts) return draw(document);
    var script = document.createElement('script');
    script.src = '/assets/echarts.js';
    script.onload = function () {
      draw(document);
    };
    document.head.appendChild(script);
  }
  document.addEventListener('DOMContentLoaded', load);
  document.addEventListener('htmx:afterSettle', function (event) {
    draw(event.target);
  });
})();
