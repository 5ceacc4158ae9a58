/* The case's diagram in bpmn-js's NavigatedViewer: completed elements, open ones and the path
   taken are marked with CSS classes; an element run more than once gets its count.
   In heatmap mode each element is coloured by how many cases passed it. */
(function () {
  'use strict';
  var container = document.getElementById('diagram');
  var dataNode = document.getElementById('diagram-data');
  if (!container || !dataNode || typeof BpmnJS === 'undefined') { return; }
  var data = JSON.parse(dataNode.textContent);
  var viewer = new BpmnJS({ container: container });

  function badge(text, cls) {
    var span = document.createElement('span');
    span.className = cls;
    span.textContent = text;
    return span;
  }

  function markPath(canvas, overlays, registry) {
    var done = new Set(data.completed), open = new Set(data.active);
    data.completed.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, 'completed'); } });
    data.active.forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, 'active'); } });
    registry.filter(function (e) { return e.type === 'bpmn:SequenceFlow'; }).forEach(function (flow) {
      var from = flow.businessObject.sourceRef, to = flow.businessObject.targetRef;
      if (from && to && done.has(from.id) && (done.has(to.id) || open.has(to.id))) {
        canvas.addMarker(flow.id, 'taken');
      }
    });
    Object.keys(data.repeated || {}).forEach(function (id) {
      if (registry.get(id)) {
        overlays.add(id, 'run-count', { position: { top: -12, right: 12 },
          html: badge('\u00d7' + data.repeated[id], 'run-count') });
      }
    });
  }

  function markHeat(canvas, overlays, registry) {
    var max = Math.max(data.max || 0, 1);
    Object.keys(data.counts).forEach(function (id) {
      if (!registry.get(id)) { return; }
      var level = Math.max(1, Math.ceil(5 * data.counts[id] / max));
      canvas.addMarker(id, 'heat-' + level);
      var text = String(data.counts[id]);
      if (data.median[id] !== undefined) { text += ' \u00b7 ' + humanise(data.median[id]); }
      overlays.add(id, 'heat-count', { position: { bottom: 4, left: -4 }, html: badge(text, 'heat-count') });
    });
  }

  function humanise(seconds) {
    if (seconds >= 86400) { return (seconds / 86400).toFixed(1) + 'd'; }
    if (seconds >= 3600) { return (seconds / 3600).toFixed(1) + 'h'; }
    return Math.round(seconds / 60) + 'min';
  }

  fetch(data.xml_url, { credentials: 'same-origin' })
    .then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.text();
    })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get('canvas');
      canvas.zoom('fit-viewport', 'auto');
      var overlays = viewer.get('overlays'), registry = viewer.get('elementRegistry');
      if (container.dataset.mode === 'heatmap') { markHeat(canvas, overlays, registry); }
      else { markPath(canvas, overlays, registry); }
      container.classList.add('ready');
    })
    .catch(function (err) {
      container.textContent = container.dataset.error + ' ' + err.message;
      container.classList.add('failed');
    });
}());
