/* The web modeler page: bpmn-js's Modeler with the properties panel (made by modeler.js),
   the model's files and forms, validation and live checks shown as markers on the diagram
   and as a list, drafts and deploying. */
import { startFormsPanel } from './forms-panel.js';

export function startModeler(createModeler) {
  var config = JSON.parse(document.getElementById('modeler-config').textContent);
  var text = config.text;
  var csrf = document.querySelector('meta[name=csrf-token]').content;
  var $ = function (id) { return document.getElementById(id); };

  var translation = window.LiandongModelerI18n.translateModule(config.locale);
  // The panel's choices: forms are those of the model (its forms/ files) and those on the server.
  // Call activities and business rule tasks run what is in the model's own files (the engine
  // parses them together), so those come first, then the deployed ones.
  function idsIn(pattern) {
    var found = [];
    Object.keys(state.files).forEach(function (name) {
      var text = name === state.current && state.editor === 'bpmn' ? '' : state.files[name] || '';
      text.replace(pattern, function (_, id, label) { found.push({ value: id, label: (label || id) + ' (' + name + ')' }); });
    });
    return found;
  }
  config.context = {
    forms: function () {
      var names = Object.keys(state.forms).concat(config.choices.forms || []);
      return names.filter(function (n, i) { return names.indexOf(n) === i; }).sort();
    },
    processes: function (current) {
      var own = idsIn(/<(?:\w+:)?process\b[^>]*?\bid="([^"]+)"(?:[^>]*?\bname="([^"]*)")?/g);
      var defs = modeler.getDefinitions && modeler.getDefinitions();
      ((defs && defs.rootElements) || []).forEach(function (e) {
        if (e.$type === 'bpmn:Process' && e.id !== current) { own.push({ value: e.id, label: (e.name || e.id) + ' (' + state.current + ')' }); }
      });
      return own;
    },
    decisions: function () { return idsIn(/<(?:\w+:)?decision\b[^>]*?\bid="([^"]+)"(?:[^>]*?\bname="([^"]*)")?/g); }
  };
  var modeler = createModeler(config, translation);
  // .dmn files open in dmn-js's editor, on their decision table (the DRD one click away).
  // (dmn-js drops `common.additionalModules`: each view gets the translation itself.)
  var decisions = new window.DmnJS({ container: '#dmn-canvas', drd: { additionalModules: [translation] },
                                     decisionTable: { additionalModules: [translation] },
                                     literalExpression: { additionalModules: [translation] } });
  var state = { key: config.key || '', version: config.version, files: {}, forms: {}, current: null,
                editor: null, problems: [], markers: [] };

  // -- talking to the server -------------------------------------------------------------
  function request(url, body) {
    var options = body === undefined ? { headers: { Accept: 'application/json' } } : {
      method: 'POST', body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrf }
    };
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        data._status = response.status;
        return data;
      });
    });
  }

  function status(message, kind) {
    var box = $('modeler-status');
    box.hidden = !message;
    box.className = 'flash flash-' + (kind || 'info');
    box.textContent = message || '';
  }

  // -- files -----------------------------------------------------------------------------
  function isDiagram(name) { return /\.bpmn$/.test(name); }
  function isDecision(name) { return /\.dmn$/.test(name); }

  // Which editor holds the current file: 'bpmn', 'dmn' or 'text'. A file its library cannot
  // read opens as text, so the owner can mend it and the editor's last model never replaces it.
  function storeCurrent() {
    var name = state.current;
    if (!name) { return Promise.resolve(); }
    if (state.editor === 'text') {
      state.files[name] = $('text-editor').value;
      return Promise.resolve();
    }
    return (state.editor === 'bpmn' ? modeler : decisions).saveXML({ format: true }).then(function (result) {
      state.files[name] = result.xml;
    });
  }

  function show(editor) {
    state.editor = editor;
    $('canvas').hidden = editor !== 'bpmn';
    $('dmn-canvas').hidden = editor !== 'dmn';
    $('text-editor').hidden = editor !== 'text';
  }

  function showText(name) {
    show('text');
    $('text-editor').value = state.files[name];
  }

  function openDecision(name) {
    show('dmn');
    return decisions.importXML(state.files[name]).then(function () {
      var table = decisions.getViews().filter(function (v) { return v.type === 'decisionTable'; })[0];
      return table ? decisions.open(table) : null;
    });
  }

  function openDiagram(name) {
    show('bpmn');
    return modeler.importXML(state.files[name]).then(function (result) {
      fitClearOfPalette();
      showMarkers();
      return result;
    });
  }

  /** Fit the diagram to the canvas, clear of the palette (top left) and the minimap's toggle
      (bottom left). A model too large to read when fitted is shown from its start at a
      readable scale, with the minimap (bottom right) open to find the rest. */
  var READABLE = 0.6;
  function fitClearOfPalette() {
    var canvas = modeler.get('canvas'), minimap = modeler.get('minimap', false);
    if (minimap) { minimap.close(); }
    var palette = document.querySelector('#canvas .djs-palette');
    var left = (palette ? palette.getBoundingClientRect().right - $('canvas').getBoundingClientRect().left : 60) + 24;
    var toggle = document.querySelector('#canvas .djs-minimap');  // bottom left, closed: keep above it
    var bottom = (toggle ? toggle.getBoundingClientRect().height : 0) + 36;
    canvas.zoom('fit-viewport', 'auto');
    var size = canvas.getSize(), inner = canvas.viewbox().inner;
    if (!inner.width || !inner.height) { return; }
    var fitted = Math.min((size.width - left - 36) / inner.width, (size.height - 24 - bottom) / inner.height, 1.2);
    var scale = Math.max(fitted, READABLE);
    canvas.zoom(scale);
    var top = fitted < READABLE ? 24 : Math.max(24, (size.height - bottom + 12 - inner.height * scale) / 2);
    canvas.viewbox({ x: inner.x - left / scale, y: inner.y - top / scale,
                     width: size.width / scale, height: size.height / scale });
    if (minimap && fitted < READABLE) { minimap.open(); }
  }

  function open(name) {
    return storeCurrent().then(function () {
      state.current = name;
      $('file-select').value = name;
      if (!isDiagram(name) && !isDecision(name)) {
        showText(name);
        return null;
      }
      return (isDiagram(name) ? openDiagram(name) : openDecision(name)).catch(function (err) {
        showText(name);
        status(text.unreadable.replace('{name}', name) + ' ' + err.message, 'error');
        return null;
      });
    });
  }

  function refreshFileSelect() {
    var select = $('file-select');
    select.innerHTML = '';
    Object.keys(state.files).sort().forEach(function (name) {
      var option = document.createElement('option');
      option.value = option.textContent = name;
      select.appendChild(option);
    });
    if (state.current) { select.value = state.current; }
  }

  function setFiles(files) {
    state.files = {};
    state.forms = {};
    Object.keys(files).forEach(function (name) {
      if (name.indexOf('forms/') === 0) {
        state.forms[name.slice(6)] = files[name];
      } else {
        state.files[name] = files[name];
      }
    });
    state.current = null;
    refreshFileSelect();
    refreshFormSelect();
    var first = Object.keys(state.files).sort().filter(isDiagram)[0] || Object.keys(state.files).sort()[0];
    return first ? open(first) : Promise.resolve();
  }

  /** Every file to send: diagrams as saved now, forms as `forms/NAME`. */
  function allFiles() {
    return storeCurrent().then(function () {
      storeForm();
      var out = {};
      Object.keys(state.files).forEach(function (n) { out[n] = state.files[n]; });
      Object.keys(state.forms).forEach(function (n) { out['forms/' + n] = state.forms[n]; });
      return out;
    });
  }

  function load() {
    var params = new URLSearchParams();
    if (config.draft) { params.set('draft', config.draft); }
    else if (config.key) { params.set('key', config.key); if (config.version) { params.set('version', config.version); } }
    return request(config.urls.model + '?' + params.toString()).then(function (data) {
      if (data._status !== 200) { status(data.message || text.failed, 'error'); return null; }
      state.key = data.key || state.key;
      $('model-key').value = state.key;
      state.version = data.version;
      return setFiles(data.files);
    });
  }

  $('file-select').addEventListener('change', function (event) { open(event.target.value); });
  $('file-upload').addEventListener('change', function (event) {
    var chosen = Array.prototype.slice.call(event.target.files);
    Promise.all(chosen.map(function (file) {
      return file.text().then(function (content) { return [file.name, content]; });
    })).then(function (pairs) {
      return storeCurrent().then(function () {
        var last = null;
        pairs.forEach(function (pair) {
          if (/\.json$/.test(pair[0])) { state.forms[pair[0]] = pair[1]; }
          else { state.files[pair[0]] = pair[1]; last = pair[0]; }
        });
        refreshFileSelect();
        refreshFormSelect();
        state.current = state.current && state.files[state.current] !== undefined ? state.current : null;
        return last ? open(last) : null;
      });
    }).catch(function (err) { status(text.failed + ' ' + err.message, 'error'); });
    event.target.value = '';
  });

  // -- validation: markers on the diagram and the list ------------------------------------
  function clearMarkers() {
    var canvas = modeler.get('canvas');
    var registry = modeler.get('elementRegistry');
    state.markers.forEach(function (m) {
      if (registry.get(m.id)) { canvas.removeMarker(m.id, m.cls); }
    });
    modeler.get('overlays').remove({ type: 'lint' });
    state.markers = [];
  }

  function showMarkers() {
    clearMarkers();
    var canvas = modeler.get('canvas');
    var registry = modeler.get('elementRegistry');
    var overlays = modeler.get('overlays');
    var worst = {};
    state.problems.forEach(function (p) {
      if (p.entry || !p.element_id || p.file !== state.current || !registry.get(p.element_id)) { return; }
      if (worst[p.element_id] !== 'error') { worst[p.element_id] = p.severity; }
    });
    Object.keys(worst).forEach(function (id) {
      var cls = 'lint-' + worst[id];
      canvas.addMarker(id, cls);
      state.markers.push({ id: id, cls: cls });
      var messages = state.problems.filter(function (p) { return p.element_id === id && !p.entry; })
        .map(function (p) { return p.message; }).join('\n');
      var badge = document.createElement('div');
      badge.className = 'lint-badge lint-badge-' + worst[id];
      badge.textContent = worst[id] === 'error' ? '!' : '?';
      badge.title = messages;
      overlays.add(id, 'lint', { position: { top: -8, right: 8 }, html: badge });
    });
  }

  function showProblems(problems, quiet) {
    state.serverProblems = problems || [];
    state.problems = state.serverProblems.concat(state.liveProblems || []);
    var list = $('problem-list');
    list.innerHTML = '';
    state.problems.forEach(function (p) {
      var item = document.createElement('li');
      item.className = 'problem problem-' + p.severity;
      item.dataset.element = p.element_id || '';
      item.dataset.rule = p.rule;
      var where = p.file + (p.line ? ':' + p.line : '') + (p.element_id ? ' [' + p.element_id + ']' : '') +
        (p.where ? ' · ' + p.where : '');
      item.innerHTML = '<strong></strong> <span class="muted small"></span><div></div>';
      item.children[0].textContent = p.severity === 'error' ? text.error : text.warning;
      item.children[1].textContent = p.where ? where : where + ' · ' + p.rule;
      item.children[2].textContent = p.message;
      item.addEventListener('click', function () { focusElement(p.file, p.element_id); });
      list.appendChild(item);
    });
    var count = $('problem-count');
    count.style.display = state.problems.length ? '' : 'none';
    count.textContent = state.problems.length;
    $('problems-empty').hidden = state.problems.length > 0;
    $('problems-empty').textContent = state.checked === 'full' ? text.valid :
      state.checked === 'live' ? text.noProblems : text.validateFirst;
    showMarkers();
    if (!quiet) { showTab('problems'); }
  }

  // Live checks (live-checks.js) report after each edit; their problems join the list.
  modeler.on('liandong.checked', function (event) {
    state.liveProblems = event.problems.map(function (p) {
      return Object.assign({ file: state.current }, p, { where: text.entries[p.entry] || p.entry });
    });
    state.checked = state.checked || 'live';
    showProblems(state.serverProblems, true);
  });

  function focusElement(file, id) {
    var go = file && file !== state.current && state.files[file] !== undefined ? open(file) : Promise.resolve();
    go.then(function () {
      var element = id && modeler.get('elementRegistry').get(id);
      if (element) { modeler.get('selection').select(element); modeler.get('canvas').scrollToElement(element); }
    });
  }

  function validate() {
    return allFiles().then(function (files) {
      return request(config.urls.validate, { files: files });
    }).then(function (data) {
      if (data._status !== 200) { status(data.message || text.failed, 'error'); return data; }
      state.checked = 'full';
      showProblems(data.problems);
      if (data.errors) { status(text.invalid.replace('{n}', data.errors), 'error'); }
      else if (data.warnings) { status(text.noErrors + ' ' + text.warnings.replace('{n}', data.warnings), 'info'); }
      else { status(text.valid, 'success'); }
      return data;
    });
  }

  function saveDraft() {
    return allFiles().then(function (files) {
      return request(config.urls.draft, { key: $('model-key').value.trim() || defaultKey(), files: files,
                                          version: state.version || null });
    }).then(function (data) {
      status(data.message || text.failed, data._status === 200 ? 'success' : 'error');
      return data;
    });
  }

  function defaultKey() {
    var process = modeler.getDefinitions && modeler.getDefinitions() &&
      (modeler.getDefinitions().rootElements || []).filter(function (e) { return e.$type === 'bpmn:Process'; })[0];
    return process ? process.id : '';
  }

  function deploy() {
    status(text.deploying, 'info');
    return allFiles().then(function (files) {
      return request(config.urls.deploy, { key: $('model-key').value.trim() || null, files: files });
    }).then(function (data) {
      if (data._status === 200) {
        state.version = data.version;
        state.key = data.key;
        $('model-key').value = data.key;
        showProblems(data.warnings);
        status(data.message, 'success');
      } else {
        if (data.problems) { showProblems(data.problems); }
        status(data.message || text.failed, 'error');
      }
      return data;
    });
  }

  function download() {
    storeCurrent().then(function () {
      var blob = new Blob([state.files[state.current] || ''], { type: 'application/xml' });
      var link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = state.current || 'diagram.bpmn';
      link.click();
    });
  }

  $('btn-validate').addEventListener('click', validate);
  if ($('btn-draft')) { $('btn-draft').addEventListener('click', saveDraft); }
  if ($('btn-deploy')) { $('btn-deploy').addEventListener('click', deploy); }
  $('btn-download').addEventListener('click', download);

  // -- side tabs -------------------------------------------------------------------------
  function showTab(name) {
    document.querySelectorAll('.side-tabs a').forEach(function (a) { a.classList.toggle('active', a.dataset.tab === name); });
    document.querySelectorAll('.side-tab').forEach(function (s) { s.hidden = s.id !== 'tab-' + name; });
  }
  document.querySelectorAll('.side-tabs a').forEach(function (a) {
    a.addEventListener('click', function (event) { event.preventDefault(); showTab(a.dataset.tab); });
  });

  // -- the forms panel (forms-panel.js) --------------------------------------------------
  var panels = startFormsPanel({ state: state, request: request, config: config, text: text, $: $ });
  function refreshFormSelect() { panels.refreshFormSelect(); }
  function storeForm() { panels.storeForm(); }


  /** Resolves once the page answers to a click: the properties panel (preact) subscribes to
      the selection in an effect run after the first paint, so a selection made earlier would
      be lost. Hidden tabs get no frames, hence the timeout beside the frame. */
  function afterPaint(result) {
    return new Promise(function (resolve) {
      var done = function () { setTimeout(function () { resolve(result); }, 0); };
      requestAnimationFrame(function () { setTimeout(done, 0); });
      setTimeout(done, 250);
    });
  }

  // For people who script the page (and the browser tests).
  window.liandongModeler = {
    modeler: modeler, decisions: decisions, state: state, load: load, open: open, validate: validate, deploy: deploy,
    saveDraft: saveDraft, setFiles: setFiles, addForm: panels.addForm, allFiles: allFiles,
    showTab: showTab, check: function () { return modeler.get('liveChecks').check(); },
    ready: load().then(afterPaint)
  };
}
