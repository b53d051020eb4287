// The API reference page (reference.html): Redoc renders the OpenAPI document the page names.
(function () {
  var root = document.getElementById('redoc');
  var current = document.querySelector('.refbar a[data-doc="' + root.dataset.doc + '"]');
  if (current) current.setAttribute('aria-current', 'page');
  // The JSON, not this page: ask for it explicitly, whatever Accept the fetch sends.
  Redoc.init(root.dataset.specUrl, {
    scrollYOffset: 44,
    expandResponses: '200,201',
    hideHostname: false,
    jsonSampleExpandLevel: 3,
    theme: { colors: { primary: { main: '#0b5cad' } }, typography: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', headings: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' } } },
  }, root, function (err) {
    document.body.dataset.ready = err ? 'error' : 'true';
  });
})();
