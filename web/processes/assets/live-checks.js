/* Live checks: every expression, script and timer text of the open diagram is sent to the
   server's check API (the engine's own sandbox compile and timer parser) shortly after each
   edit. Errors mark their element on the canvas, show under the panel's entry and are listed
   in the Problems tab (app.js listens to `liandong.checked`). */
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';
import { bodyOf } from './spiff/extensions.js';
import { timerDefinition, timerType, messageDefinition } from './spiff/entries.js';
import { boundaryTimers } from './spiff/due.js';
import { correlationOf } from './spiff/correlation.js';

var DELAY = 400;

/** [{element, entry, kind, text}] for one element. */
export function textsOf(element) {
  var bo = getBusinessObject(element), out = [];
  function add(entry, kind, text) { if (text !== undefined && text !== null) { out.push({ element: bo.id, entry: entry, kind: kind, text: text }); } }
  if (is(element, 'bpmn:SequenceFlow') && bo.conditionExpression) { add('conditionExpression', 'expression', bo.conditionExpression.body || ''); }
  if (is(element, 'bpmn:ScriptTask')) { add('script', 'script', bo.script || ''); }
  if (is(element, 'bpmn:Activity')) {
    if (bodyOf(bo, 'spiffworkflow:PreScript')) { add('preScript', 'script', bodyOf(bo, 'spiffworkflow:PreScript')); }
    if (bodyOf(bo, 'spiffworkflow:PostScript')) { add('postScript', 'script', bodyOf(bo, 'spiffworkflow:PostScript')); }
    var loop = bo.loopCharacteristics;
    if (loop && loop.completionCondition && loop.completionCondition.body) {
      add('completionCondition', 'expression', loop.completionCondition.body);
    }
  }
  var timer = is(element, 'bpmn:Event') && timerDefinition(element);
  if (timer && timerType(timer)) { add('timerValue', timerType(timer), timer.get(timerType(timer)).body || ''); }
  var message = is(element, 'bpmn:Event') && messageDefinition(element);
  if (message && bodyOf(message, 'spiffworkflow:MessagePayload')) {
    add('messagePayload', 'expression', bodyOf(message, 'spiffworkflow:MessagePayload'));
  }
  var definitions = message && message.messageRef && message.messageRef.$parent;
  if (definitions && correlationOf(definitions, message.messageRef)) {
    add('messageCorrelation', 'expression', correlationOf(definitions, message.messageRef));
  }
  return out;
}

function LiveChecks(eventBus, elementRegistry, canvas, overlays, selection, config) {
  var self = this, timer = null, generation = 0;
  var settings = config.liandong || {};
  this.results = {};  // element id -> entry -> result

  function texts() {
    var all = [];
    elementRegistry.getAll().forEach(function (element) {
      if (element.type !== 'label') { all = all.concat(textsOf(element)); }
    });
    return all;
  }

  function entryErrors(id) {
    var errors = {}, found = self.results[id] || {};
    Object.keys(found).forEach(function (entry) { if (found[entry].error) { errors[entry] = found[entry].error; } });
    return errors;
  }

  function showPanelErrors() {
    var selected = selection.get();
    var errors = selected.length === 1 ? entryErrors(selected[0].id) : {};
    // A user task's due date is its boundary timer's value (spiff/due.js): its error shows there too.
    var due = selected.length === 1 && is(selected[0], 'bpmn:UserTask') && boundaryTimers(selected[0])[0];
    if (due && entryErrors(due.id).timerValue) { errors.dueValue = entryErrors(due.id).timerValue; }
    eventBus.fire('propertiesPanel.setErrors', { errors: errors });
  }

  function mark() {
    overlays.remove({ type: 'live-check' });
    elementRegistry.getAll().forEach(function (element) { canvas.removeMarker(element, 'live-error'); });
    Object.keys(self.results).forEach(function (id) {
      var errors = entryErrors(id), messages = Object.keys(errors).map(function (k) { return errors[k]; });
      if (!messages.length || !elementRegistry.get(id)) { return; }
      canvas.addMarker(id, 'live-error');
      var badge = document.createElement('div');
      badge.className = 'lint-badge lint-badge-error live-badge';
      badge.textContent = '!';
      badge.title = messages.join('\n');
      badge.dataset.element = id;
      overlays.add(id, 'live-check', { position: { top: -10, right: 10 }, html: badge });
    });
  }

  this.check = function () {
    var items = texts(), mine = ++generation;
    if (!settings.urls || !settings.urls.check) { return Promise.resolve([]); }
    var csrf = document.querySelector('meta[name=csrf-token]');
    return fetch(settings.urls.check, {
      method: 'POST', body: JSON.stringify({ items: items.map(function (i) { return { kind: i.kind, text: i.text }; }) }),
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrf ? csrf.content : '' }
    }).then(function (response) { return response.json(); }).then(function (data) {
      if (mine !== generation || !data.results) { return []; }
      self.results = {};
      var problems = [];
      items.forEach(function (item, i) {
        var result = data.results[i];
        (self.results[item.element] = self.results[item.element] || {})[item.entry] = result;
        if (result.error) {
          problems.push({ element_id: item.element, entry: item.entry, severity: 'error', rule: 'live-' + item.kind,
                          message: result.error, text_line: result.line });
        }
      });
      mark();
      showPanelErrors();
      eventBus.fire('liandong.checked', { problems: problems, results: self.results });
      return problems;
    });
  };

  this.result = function (id, entry) { return (self.results[id] || {})[entry]; };

  function later() { clearTimeout(timer); timer = setTimeout(self.check, DELAY); }
  eventBus.on('commandStack.changed', later);
  eventBus.on('import.done', later);
  eventBus.on('selection.changed', function () { setTimeout(showPanelErrors, 0); });
}

LiveChecks.$inject = ['eventBus', 'elementRegistry', 'canvas', 'overlays', 'selection', 'config'];

export default { __init__: ['liveChecks'], liveChecks: ['type', LiveChecks] };
