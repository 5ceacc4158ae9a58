/* The properties panel's entries for what SpiffWorkflow executes: each reads and writes the
   same XML SpiffWorkflow parses (conditions, default flows, scripts, pre-/post-scripts, timers,
   forms and instructions, lanes' roles, called processes and decisions, message variables,
   the English name). Components are plain functions, as bpmn-js-properties-panel's own. */
import { TextFieldEntry, TextAreaEntry, SelectEntry, CheckboxEntry } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';
import { bodyOf, propertyOf, setBody, setProperty } from './extensions.js';
import { CodeEntry } from './code-entry.js';
import { variableRef } from './loop-refs.js';

function services() {
  return { translate: useService('translate'), debounce: useService('debounceInput'),
           injector: useService('injector'), modeling: useService('modeling'),
           bpmnFactory: useService('bpmnFactory') };
}

function options(translate, choices, current, missing) {
  var list = [{ value: '', label: translate('(none)') }].concat(choices || []);
  if (current && !list.some(function (o) { return o.value === current; })) {
    list.push({ value: current, label: current + ' ' + translate(missing || '(not deployed)') });
  }
  return list;
}

function context(injector) { return liandong(injector).context || {}; }

/** The model's own choices first, then deployed ones not among them. */
function merged(own, deployed) {
  var seen = {};
  return own.concat(deployed || []).filter(function (o) { return seen[o.value] ? false : (seen[o.value] = true); });
}

function processOf(bo) {
  while (bo && bo.$type !== 'bpmn:Process') { bo = bo.$parent; }
  return bo && bo.id;
}

export function liandong(injector) {
  return injector.get('config').liandong || { choices: {}, context: {} };
}

// -- the English name (issue 17's spiffworkflow:property name="name_en") ------------------

export function NameEnEntry(props) {
  var s = services(), element = props.element;
  return TextFieldEntry({ element: element, id: 'nameEn', label: s.translate('English name'), debounce: s.debounce,
    getValue: function () { return propertyOf(getBusinessObject(element), 'name_en'); },
    setValue: function (v) { setProperty(s.injector, element, 'name_en', (v || '').trim()); } });
}

// -- sequence flows ----------------------------------------------------------------------

export function ConditionEntry(props) {
  var s = services(), element = props.element, bo = getBusinessObject(element);
  return TextAreaEntry({ element: element, id: 'conditionExpression', label: s.translate('Condition (Python expression)'),
    debounce: s.debounce, rows: 2, monospace: true,
    description: s.translate('The flow is taken when this is true, for example: budget > 50000'),
    getValue: function () { return (bo.conditionExpression && bo.conditionExpression.body) || ''; },
    setValue: function (v) {
      var expression = v ? s.bpmnFactory.create('bpmn:FormalExpression', { body: v }) : undefined;
      s.modeling.updateProperties(element, { conditionExpression: expression });
    } });
}

export function DefaultFlowEntry(props) {
  var s = services(), element = props.element, bo = getBusinessObject(element);
  return CheckboxEntry({ element: element, id: 'defaultFlow', label: s.translate('Default flow of the gateway'),
    description: s.translate('Taken when no other flow\'s condition is true.'),
    getValue: function () { return bo.sourceRef && bo.sourceRef.default === bo; },
    setValue: function (checked) {
      s.modeling.updateProperties(element.source, { 'default': checked ? bo : undefined });
    } });
}

// -- scripts -----------------------------------------------------------------------------

export function ScriptEntry(props) {
  var s = services(), element = props.element, bo = getBusinessObject(element);
  return CodeEntry({ element: element, id: 'script', label: s.translate('Script (Python)'), debounce: s.debounce,
    getValue: function () { return bo.script || ''; },
    setValue: function (v) { s.modeling.updateProperties(element, { script: v || undefined }); } });
}

export function PrePostEntry(props) {
  var s = services(), element = props.element, type = props.spiffType;
  return CodeEntry({ element: element, id: props.id, debounce: s.debounce,
    label: s.translate(props.id === 'preScript' ? 'Pre-script (runs before the task)' : 'Post-script (runs after the task)'),
    getValue: function () { return bodyOf(getBusinessObject(element), type); },
    setValue: function (v) { setBody(s.injector, element, type, v); } });
}

// -- user tasks --------------------------------------------------------------------------

export function FormEntry(props) {
  var s = services(), element = props.element, name = props.property;
  var context = liandong(s.injector).context || {};
  var forms = (context.forms ? context.forms() : []).filter(function (f) {
    return name === 'formUiSchemaFilename' ? /uischema/i.test(f) : !/uischema/i.test(f);
  }).map(function (f) { return { value: f, label: f }; });
  return SelectEntry({ element: element, id: props.id,
    label: s.translate(props.id === 'formJsonSchemaFilename' ? 'Form' : 'Form layout (UI schema)'),
    getOptions: function () { return options(s.translate, forms, propertyOf(getBusinessObject(element), name), '(no such form)'); },
    getValue: function () { return propertyOf(getBusinessObject(element), name); },
    setValue: function (v) { setProperty(s.injector, element, name, v); } });
}

export function InstructionsEntry(props) {
  var s = services(), element = props.element;
  return TextAreaEntry({ element: element, id: 'instructions', label: s.translate('Instructions for the user (Markdown)'),
    debounce: s.debounce, rows: 4,
    getValue: function () { return bodyOf(getBusinessObject(element), 'spiffworkflow:InstructionsForEndUser'); },
    setValue: function (v) { setBody(s.injector, element, 'spiffworkflow:InstructionsForEndUser', v); } });
}

// -- timers ------------------------------------------------------------------------------

export var TIMER_TYPES = ['timeDate', 'timeDuration', 'timeCycle'];

export function timerDefinition(element) {
  var bo = getBusinessObject(element);
  return (bo.eventDefinitions || []).filter(function (d) { return is(d, 'bpmn:TimerEventDefinition'); })[0];
}

export function timerType(definition) {
  return TIMER_TYPES.filter(function (t) { return definition && definition.get(t); })[0] || '';
}

export function TimerTypeEntry(props) {
  var s = services(), element = props.element, definition = timerDefinition(element);
  return SelectEntry({ element: element, id: 'timerType', label: s.translate('Type'),
    getOptions: function () {
      return [{ value: 'timeDate', label: s.translate('Date') }, { value: 'timeDuration', label: s.translate('Duration') },
              { value: 'timeCycle', label: s.translate('Cycle') }];
    },
    getValue: function () { return timerType(definition); },
    setValue: function (type) {
      var old = timerType(definition), changes = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
      var body = old ? definition.get(old).body : '';
      changes[type] = s.bpmnFactory.create('bpmn:FormalExpression', { body: body });
      s.modeling.updateModdleProperties(element, definition, changes);
    } });
}

export function TimerValueEntry(props) {
  var s = services(), element = props.element, definition = timerDefinition(element);
  return TextFieldEntry({ element: element, id: 'timerValue', label: s.translate('Value (ISO 8601 or an expression)'),
    debounce: s.debounce,
    description: s.translate('For example P3D, "2016-04-20T00:00:00+08:00", R3/2016-04-04T09:00:00+08:00/P1W, or a variable name'),
    getValue: function () { var t = timerType(definition); return t ? (definition.get(t).body || '') : ''; },
    setValue: function (v) {
      var type = timerType(definition) || 'timeDuration', changes = {};
      changes[type] = s.bpmnFactory.create('bpmn:FormalExpression', { body: v || '' });
      s.modeling.updateModdleProperties(element, definition, changes);
    } });
}

// -- lanes, call activities, business rule tasks, messages -------------------------------

export function LaneRoleEntry(props) {
  var s = services(), element = props.element, bo = getBusinessObject(element);
  return SelectEntry({ element: element, id: 'laneRole', label: s.translate('Role of the people who work in this lane'),
    getOptions: function () { return options(s.translate, liandong(s.injector).choices.roles, bo.name, '(nobody has this role yet)'); },
    getValue: function () { return bo.name || ''; },
    setValue: function (v) { s.modeling.updateProperties(element, { name: v || undefined }); } });
}

export function CalledElementEntry(props) {
  var s = services(), element = props.element, bo = getBusinessObject(element);
  return SelectEntry({ element: element, id: 'calledElement', label: s.translate('Called process'),
    getOptions: function () {
      var own = context(s.injector).processes ? context(s.injector).processes(processOf(bo)) : [];
      return options(s.translate, merged(own, liandong(s.injector).choices.processes), bo.calledElement);
    },
    getValue: function () { return bo.calledElement || ''; },
    setValue: function (v) { s.modeling.updateProperties(element, { calledElement: v || undefined }); } });
}

export function CalledDecisionEntry(props) {
  var s = services(), element = props.element, type = 'spiffworkflow:CalledDecisionId';
  return SelectEntry({ element: element, id: 'calledDecision', label: s.translate('Decision'),
    getOptions: function () {
      var own = context(s.injector).decisions ? context(s.injector).decisions() : [];
      return options(s.translate, merged(own, liandong(s.injector).choices.decisions), bodyOf(getBusinessObject(element), type));
    },
    getValue: function () { return bodyOf(getBusinessObject(element), type); },
    setValue: function (v) { setBody(s.injector, element, type, v); } });
}

export function messageDefinition(element) {
  var bo = getBusinessObject(element);
  return (bo.eventDefinitions || []).filter(function (d) { return is(d, 'bpmn:MessageEventDefinition'); })[0];
}

export function MessageDataEntry(props) {
  var s = services(), element = props.element, definition = messageDefinition(element), type = props.spiffType;
  var catching = type === 'spiffworkflow:MessageVariable';
  return TextFieldEntry({ element: element, id: props.id, debounce: s.debounce,
    label: s.translate(catching ? 'Variable that receives the message' : 'Message content (Python expression)'),
    getValue: function () { return bodyOf(definition, type); },
    setValue: function (v) { setBody(s.injector, element, type, (v || '').trim(), definition); } });
}

export function bodyOfInstructions(element) {
  return bodyOf(getBusinessObject(element), 'spiffworkflow:InstructionsForEndUser');
}

// -- multi-instance: the collection and the element variable (by name, as SpiffWorkflow reads them)

export function MultiInstanceEntry(props) {
  var s = services(), element = props.element, loop = getBusinessObject(element).loopCharacteristics;
  var moddle = s.injector.get('moddle'), what = props.what;
  var labels = { loopDataInputRef: 'Collection to go through (variable)', inputDataItem: 'Element variable (each item)',
                 loopDataOutputRef: 'Collection of the results (variable)', outputDataItem: 'Result variable (each item)' };
  return TextFieldEntry({ element: element, id: props.id, label: s.translate(labels[what]), debounce: s.debounce,
    getValue: function () { var v = loop.get(what); return (v && (v.name || v.id)) || ''; },
    setValue: function (v) {
      var changes = {};
      v = (v || '').trim();
      changes[what] = /Item$/.test(what) ? (v ? s.bpmnFactory.create('bpmn:DataInput', { id: v, name: v }) : undefined)
        : variableRef(moddle, v);
      s.modeling.updateModdleProperties(element, loop, changes);
    } });
}
