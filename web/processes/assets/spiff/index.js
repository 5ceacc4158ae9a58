/* The SpiffWorkflow groups of the properties panel, added to bpmn-js-properties-panel's own
   (general, documentation, message, multi-instance, ...). Its timer group is replaced by ours,
   which also shows what the timer means and when it is next due (from the live check). */
import { useEffect, useState } from '@bpmn-io/properties-panel/preact/hooks';
import { jsx, jsxs } from '@bpmn-io/properties-panel/preact/jsx-runtime';
import { isTextFieldEntryEdited, isTextAreaEntryEdited, isSelectEntryEdited, isCheckboxEntryEdited } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is, isAny } from 'bpmn-js/lib/util/ModelUtil';
import { isCodeEdited } from './code-entry.js';
import * as E from './entries.js';
import LoopReferencesModule from './loop-refs.js';
import { ProcessDataEntry, processOfElement } from './process-io.js';
import { DueEntry, AddDueEntry, boundaryTimers } from './due.js';
import { CorrelationEntry } from './correlation.js';

function entry(id, component, isEdited, extra) {
  return Object.assign({ id: id, component: component, isEdited: isEdited }, extra || {});
}

// -- previews fed by the server ----------------------------------------------------------

function TimerMeaning(props) {
  var eventBus = useService('eventBus'), liveChecks = useService('liveChecks'), translate = useService('translate');
  var id = props.timerId || getBusinessObject(props.element).id;
  var [result, setResult] = useState(liveChecks.result(id, 'timerValue'));
  useEffect(function () {
    function update() { setResult(liveChecks.result(id, 'timerValue')); }
    eventBus.on('liandong.checked', update);
    update();
    return function () { eventBus.off('liandong.checked', update); };
  }, [id]);
  var timer = result && result.timer;
  var lines = !result ? [] : result.error ? [] : timer ? [jsx('p', { class: 'timer-words', children: timer.words })] :
    [jsx('p', { class: 'timer-words muted', children: translate('Evaluated when a case reaches the timer.') })];
  if (timer && timer.due_words.length) {
    lines.push(jsx('p', { class: 'timer-due-label', children: translate('Next due') }));
    lines.push(jsx('ol', { class: 'timer-due', children: timer.due_words.map(function (w) { return jsx('li', { children: w }); }) }));
  }
  return jsxs('div', { class: 'bio-properties-panel-entry timer-meaning', 'data-entry-id': 'timerMeaning', children: lines });
}

function InstructionsPreview(props) {
  var config = useService('config').liandong || {}, eventBus = useService('eventBus'), translate = useService('translate');
  var element = props.element;
  var [html, setHtml] = useState('');
  useEffect(function () {
    var timer = null;
    function render() {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = E.bodyOfInstructions(element);
        if (!text || !config.urls) { setHtml(''); return; }
        var csrf = document.querySelector('meta[name=csrf-token]');
        fetch(config.urls.instructions, { method: 'POST', body: JSON.stringify({ text: text }),
          headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf ? csrf.content : '' } })
          .then(function (r) { return r.json(); }).then(function (d) { setHtml(d.html || ''); });
      }, 300);
    }
    eventBus.on('commandStack.changed', render);
    render();
    return function () { clearTimeout(timer); eventBus.off('commandStack.changed', render); };
  }, [element]);
  if (!html) { return null; }
  return jsxs('div', { class: 'bio-properties-panel-entry instructions-preview-entry', 'data-entry-id': 'instructionsPreview',
    children: [jsx('p', { class: 'bio-properties-panel-label', children: translate('Preview') }),
               jsx('div', { class: 'instructions-preview', dangerouslySetInnerHTML: { __html: html } })] });
}

// -- the groups --------------------------------------------------------------------------

function groupsFor(element, translate) {
  var bo = getBusinessObject(element), groups = [];
  if (is(element, 'bpmn:SequenceFlow')) {
    var source = element.source, entries = [];
    if (source && isAny(source, ['bpmn:ExclusiveGateway', 'bpmn:InclusiveGateway', 'bpmn:ComplexGateway', 'bpmn:Activity'])) {
      if (!(source.businessObject.default === bo)) { entries.push(entry('conditionExpression', E.ConditionEntry, isTextAreaEntryEdited)); }
      entries.push(entry('defaultFlow', E.DefaultFlowEntry, isCheckboxEntryEdited));
    }
    if (entries.length) { groups.push({ id: 'condition', label: translate('Condition'), entries: entries }); }
  }
  if (is(element, 'bpmn:ScriptTask')) {
    groups.push({ id: 'script', label: translate('Script'), entries: [entry('script', E.ScriptEntry, isCodeEdited)] });
  }
  if (isAny(element, ['bpmn:UserTask', 'bpmn:ManualTask'])) {
    groups.push({ id: 'userTask', label: translate('Form and instructions'), entries: [
      entry('formJsonSchemaFilename', E.FormEntry, isSelectEntryEdited, { property: 'formJsonSchemaFilename' }),
      entry('formUiSchemaFilename', E.FormEntry, isSelectEntryEdited, { property: 'formUiSchemaFilename' }),
      entry('instructions', E.InstructionsEntry, isTextAreaEntryEdited),
      entry('instructionsPreview', InstructionsPreview)] });
    if (is(element, 'bpmn:UserTask')) {
      var due = boundaryTimers(element)[0];
      groups.push({ id: 'due', label: translate('Due date'), entries: due ? [
        entry('dueValue', DueEntry, isTextFieldEntryEdited),
        entry('dueMeaning', TimerMeaning, null, { timerId: due.id })] : [entry('dueAdd', AddDueEntry)] });
    }
  }
  if (is(element, 'bpmn:Event') && E.timerDefinition(element)) {
    groups.push({ id: 'timer', label: translate('Timer'), entries: [
      entry('timerType', E.TimerTypeEntry, isSelectEntryEdited),
      entry('timerValue', E.TimerValueEntry, isTextFieldEntryEdited),
      entry('timerMeaning', TimerMeaning)] });
  }
  if (is(element, 'bpmn:Event') && E.messageDefinition(element)) {
    var catching = isAny(element, ['bpmn:StartEvent', 'bpmn:IntermediateCatchEvent', 'bpmn:BoundaryEvent']);
    groups.push({ id: 'spiffMessage', label: translate('Message data'), entries: [catching ?
      entry('messageVariable', E.MessageDataEntry, isTextFieldEntryEdited, { spiffType: 'spiffworkflow:MessageVariable' }) :
      entry('messagePayload', E.MessageDataEntry, isTextFieldEntryEdited, { spiffType: 'spiffworkflow:MessagePayload' }),
      entry('messageCorrelation', CorrelationEntry, isTextFieldEntryEdited)] });
  }
  if (is(element, 'bpmn:Lane')) {
    groups.push({ id: 'lane', label: translate('Lane'), entries: [entry('laneRole', E.LaneRoleEntry, isSelectEntryEdited)] });
  }
  if (is(element, 'bpmn:CallActivity')) {
    groups.push({ id: 'callActivity', label: translate('Called process'),
                  entries: [entry('calledElement', E.CalledElementEntry, isSelectEntryEdited)] });
  }
  if (isAny(element, ['bpmn:Process', 'bpmn:Participant']) && processOfElement(element)) {
    groups.push({ id: 'processData', label: translate('Data when called by another process'), entries: [
      entry('processInputs', ProcessDataEntry, isTextFieldEntryEdited, { which: 'dataInputs' }),
      entry('processOutputs', ProcessDataEntry, isTextFieldEntryEdited, { which: 'dataOutputs' })] });
  }
  if (is(element, 'bpmn:BusinessRuleTask')) {
    groups.push({ id: 'businessRule', label: translate('Decision'),
                  entries: [entry('calledDecision', E.CalledDecisionEntry, isSelectEntryEdited)] });
  }
  if (is(element, 'bpmn:Activity')) {
    groups.push({ id: 'prePostScripts', label: translate('Pre- and post-scripts'), entries: [
      entry('preScript', E.PrePostEntry, isCodeEdited, { spiffType: 'spiffworkflow:PreScript' }),
      entry('postScript', E.PrePostEntry, isCodeEdited, { spiffType: 'spiffworkflow:PostScript' })] });
  }
  return groups;
}

function SpiffPropertiesProvider(propertiesPanel, translate) {
  this.getGroups = function (element) {
    return function (groups) {
      var general = groups.filter(function (g) { return g.id === 'general'; })[0];
      if (general && !is(element, 'bpmn:Process') && !is(element, 'bpmn:Collaboration') && 'name' in getBusinessObject(element).$descriptor.propertiesByName) {
        general.entries.push(entry('nameEn', E.NameEnEntry, isTextFieldEntryEdited));
      }
      var loop = getBusinessObject(element).loopCharacteristics;
      var multi = groups.filter(function (g) { return g.id === 'multiInstance'; })[0];
      if (multi && loop && is(loop, 'bpmn:MultiInstanceLoopCharacteristics')) {
        multi.entries = [['miCollection', 'loopDataInputRef'], ['miElement', 'inputDataItem'],
                         ['miOutputCollection', 'loopDataOutputRef'], ['miOutputElement', 'outputDataItem']]
          .map(function (pair) { return entry(pair[0], E.MultiInstanceEntry, isTextFieldEntryEdited, { what: pair[1] }); })
          .concat(multi.entries);
      }
      var ours = groupsFor(element, translate);
      var replaced = ours.map(function (g) { return g.id; });
      var kept = groups.filter(function (g) { return replaced.indexOf(g.id) < 0; });
      var at = general ? kept.indexOf(general) + 1 : 0;
      return kept.slice(0, at).concat(ours, kept.slice(at));
    };
  };
  propertiesPanel.registerProvider(500, this);
}

SpiffPropertiesProvider.$inject = ['propertiesPanel', 'translate'];

export default { __depends__: [LoopReferencesModule], __init__: ['spiffPropertiesProvider'],
                 spiffPropertiesProvider: ['type', SpiffPropertiesProvider] };
