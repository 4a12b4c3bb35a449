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
  // A refused form answers 4xx with its page showing every reason; htmx swaps no 4xx by itself, so the
  // person would see nothing happen. Swap it in when it holds the part the request asked for (hx-select),
  // else show the whole answer (an error page).
  document.addEventListener('htmx:beforeSwap', function (event) {
    var status = event.detail.xhr.status;
    if (status < 400 || status >= 500) return;
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    var holder = source && source.closest('[hx-select]');
    var select = holder && holder.getAttribute('hx-select');
    var id = select && select.charAt(0) === '#' ? select.slice(1) : null;
    if (id && event.detail.serverResponse.indexOf('id="' + id + '"') >= 0) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      return;
    }
    var page = new DOMParser().parseFromString(event.detail.serverResponse, 'text/html');
    document.title = page.title;
    document.body.replaceWith(page.body);
  });
  document.addEventListener('DOMContentLoaded', load);
  document.addEventListener('htmx:afterSettle', function (event) {
    draw(event.target);
  });
})();
