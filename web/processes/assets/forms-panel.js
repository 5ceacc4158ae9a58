/* The modeler's Forms tab: the form definitions beside the diagram with a live preview
   rendered by the server, exactly as a task page would show the form. (The selected
   element's properties are the properties panel's: spiff/.) */
export function startFormsPanel(ctx) {
    var state = ctx.state, request = ctx.request, config = ctx.config;
    var text = ctx.text, $ = ctx.$;

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

    return { refreshFormSelect: refreshFormSelect, storeForm: storeForm, addForm: addForm };
}
