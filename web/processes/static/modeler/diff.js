/* The version diff on two diagrams: the old version marks what was removed and changed,
   the new one what was added and changed. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('diff-data').textContent);
  var base = data.modelUrl;

  function show(container, version, statuses) {
    var viewer = new window.BpmnJS({ container: container });
    return fetch(base + '?key=' + encodeURIComponent(data.key) + '&version=' + version,
                 { headers: { Accept: 'application/json' } })
      .then(function (r) { return r.json(); })
      .then(function (model) {
        var name = Object.keys(model.files).sort().filter(function (n) { return /\.bpmn$/.test(n); })[0];
        return viewer.importXML(model.files[name]);
      })
      .then(function () {
        var canvas = viewer.get('canvas');
        var registry = viewer.get('elementRegistry');
        canvas.zoom('fit-viewport', 'auto');
        data.elements.forEach(function (e) {
          if (statuses.indexOf(e.status) >= 0 && registry.get(e.element_id)) {
            canvas.addMarker(e.element_id, 'diff-' + e.status);
          }
        });
        window.liandongDiff = window.liandongDiff || {};
        window.liandongDiff[container] = viewer;
      });
  }
  window.liandongDiffReady = Promise.all([
    show('#diff-old', data.old, ['removed', 'changed']),
    show('#diff-new', data['new'], ['added', 'changed'])
  ]);
})();
