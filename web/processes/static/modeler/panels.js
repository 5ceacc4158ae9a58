/* The modeler's side panels: the selected element's name, form and instructions (written as
   SpiffWorkflow extension elements), and the form definitions beside the diagram with a
   live preview rendered by the server, exactly as a task page would show the form. */
(function () {
  'use strict';
  var SPIFF_NS = 'http://spiffworkflow.org/bpmn/schema/1.0/core';

  window.LiandongModelerPanels = function (ctx) {
    var modeler = ctx.modeler, state = ctx.state, request = ctx.request, config = ctx.config;
    var text = ctx.text, $ = ctx.$;

    // -- the element form: name, form file, instructions (SpiffWorkflow extensions) ---------
    function extensions(bo) {
      return (bo.extensionElements && bo.extensionElements.values) || [];
    }
    function spiffChild(bo, local) {
      return extensions(bo).filter(function (e) { return e.$type === 'spiffworkflow:' + local; })[0];
    }
    function spiffProperty(bo, name) {
      var props = spiffChild(bo, 'properties');
      var found = props && (props.$children || []).filter(function (c) { return c.name === name; })[0];
      return found ? found.value : '';
    }

    /** Set (or remove, with an empty value) a spiffworkflow:property of an element. */
    function setSpiffProperty(element, name, value) {
      var moddle = modeler.get('moddle');
      var bo = element.businessObject;
      var ext = bo.extensionElements || moddle.create('bpmn:ExtensionElements', { values: [] });
      ext.values = ext.values || [];
      var props = spiffChild(bo, 'properties');
      if (!props) {
        props = moddle.createAny('spiffworkflow:properties', SPIFF_NS, { $children: [] });
        ext.values.push(props);
      }
      props.$children = (props.$children || []).filter(function (c) { return c.name !== name; });
      if (value) { props.$children.push(moddle.createAny('spiffworkflow:property', SPIFF_NS, { name: name, value: value })); }
      if (!props.$children.length) { ext.values = ext.values.filter(function (v) { return v !== props; }); }
      modeler.get('modeling').updateProperties(element, { extensionElements: ext });
    }

    function setInstructions(element, value) {
      var moddle = modeler.get('moddle');
      var bo = element.businessObject;
      var ext = bo.extensionElements || moddle.create('bpmn:ExtensionElements', { values: [] });
      ext.values = (ext.values || []).filter(function (v) { return v.$type !== 'spiffworkflow:instructionsForEndUser'; });
      if (value) { ext.values.push(moddle.createAny('spiffworkflow:instructionsForEndUser', SPIFF_NS, { $body: value })); }
      modeler.get('modeling').updateProperties(element, { extensionElements: ext });
    }

    var selected = null;
    modeler.on('selection.changed', function (event) {
      selected = event.newSelection.length === 1 ? event.newSelection[0] : null;
      var form = $('element-form');
      form.hidden = !selected;
      $('element-none').hidden = !!selected;
      if (!selected) { return; }
      var bo = selected.businessObject;
      $('el-id').textContent = bo.id;
      $('el-type').textContent = bo.$type.replace('bpmn:', '');
      $('el-name').value = bo.name || '';
      var userTask = bo.$type === 'bpmn:UserTask' || bo.$type === 'bpmn:ManualTask';
      form.querySelector('.user-task-only').hidden = !userTask;
      if (userTask) {
        $('el-form').value = spiffProperty(bo, 'formJsonSchemaFilename');
        var instructions = spiffChild(bo, 'instructionsForEndUser');
        $('el-instructions').value = instructions ? (instructions.$body || '') : '';
      }
    });
    $('element-form').addEventListener('submit', function (event) {
      event.preventDefault();
      if (!selected) { return; }
      var bo = selected.businessObject;
      if (($('el-name').value || '') !== (bo.name || '')) {
        modeler.get('modeling').updateLabel(selected, $('el-name').value);
      }
      if (bo.$type === 'bpmn:UserTask' || bo.$type === 'bpmn:ManualTask') {
        setSpiffProperty(selected, 'formJsonSchemaFilename', $('el-form').value.trim());
        setInstructions(selected, $('el-instructions').value);
      }
    });

    // -- forms beside the diagram, with a live preview ---------------------------------------
    function refreshFormSelect() {
      var select = $('form-select');
      select.innerHTML = '';
      var names = Object.keys(state.forms).sort();
      names.forEach(function (name) {
        var option = document.createElement('option');
        option.value = option.textContent = name;
        select.appendChild(option);
      });
      if (!names.length) {
        var none = document.createElement('option');
        none.value = '';
        none.textContent = text.noForms;
        select.appendChild(none);
      }
      state.form = names[0] || null;
      $('form-json').value = state.form ? state.forms[state.form] : '';
      preview();
    }
    function storeForm() {
      if (state.form) { state.forms[state.form] = $('form-json').value; }
    }
    $('form-select').addEventListener('change', function (event) {
      storeForm();
      state.form = event.target.value || null;
      $('form-json').value = state.form ? state.forms[state.form] : '';
      preview();
    });
    $('form-new').addEventListener('click', function () {
      var name = (window.prompt(text.newForm, 'new-schema.json') || '').trim();
      if (!name) { return; }
      if (!/\.json$/.test(name)) { name += '.json'; }
      storeForm();
      addForm(name, JSON.stringify({ title: name.replace(/(-schema)?\.json$/, ''), type: 'object',
                                     required: [], properties: {} }, null, 2));
    });
    function addForm(name, content) {
      state.forms[name] = content;
      refreshFormSelect();
      $('form-select').value = name;
      state.form = name;
      $('form-json').value = content;
      preview();
    }

    var previewTimer = null;
    function preview() {
      clearTimeout(previewTimer);
      previewTimer = setTimeout(function () {
        var raw = $('form-json').value;
        var error = $('form-error');
        if (!raw.trim()) { $('form-preview').innerHTML = ''; error.hidden = true; return; }
        var schema;
        try { schema = JSON.parse(raw); } catch (err) {
          error.hidden = false;
          error.textContent = text.badJson + ' ' + err.message;
          return;
        }
        request(config.urls.preview, { schema: schema }).then(function (data) {
          error.hidden = data._status === 200;
          error.textContent = data._status === 200 ? '' : (data.message || text.failed);
          if (data._status === 200) { $('form-preview').innerHTML = data.html; }
        });
      }, 300);
    }
    $('form-json').addEventListener('input', function () { storeForm(); preview(); });

    return { refreshFormSelect: refreshFormSelect, storeForm: storeForm, addForm: addForm,
             setSpiffProperty: setSpiffProperty, spiffProperty: spiffProperty };
  };
})();
