/* A user task's due date. The engine takes a task's due date (the inbox's "due", the
   overdue lists) from the earliest timer on the task's boundary, so the user-task group
   edits that timer's expression here, with the same live check and preview as the timer
   group; a task without one gets a non-interrupting boundary timer ("remind") added. */
import { TextFieldEntry } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { jsx } from '@bpmn-io/properties-panel/preact/jsx-runtime';
import { is } from 'bpmn-js/lib/util/ModelUtil';
import { timerDefinition, timerType } from './entries.js';

/** The task's boundary timers, as shapes. */
export function boundaryTimers(element) {
  return (element.attachers || []).filter(function (a) { return is(a, 'bpmn:BoundaryEvent') && timerDefinition(a); });
}

export function DueEntry(props) {
  var translate = useService('translate'), debounce = useService('debounceInput');
  var modeling = useService('modeling'), bpmnFactory = useService('bpmnFactory');
  var element = props.element, timer = boundaryTimers(element)[0];
  if (!timer) { return null; }
  var definition = timerDefinition(timer);
  return TextFieldEntry({ element: element, id: 'dueValue', debounce: debounce,
    label: translate('Due (the timer on its boundary)'),
    description: translate('A duration from when the task opens (P5D), a date ("2016-04-20T00:00:00+08:00") or a variable holding one.'),
    getValue: function () { var t = timerType(definition); return t ? (definition.get(t).body || '') : ''; },
    setValue: function (v) {
      var type = timerType(definition) || 'timeDuration', changes = {};
      changes[type] = bpmnFactory.create('bpmn:FormalExpression', { body: (v || '').trim() });
      // The task is the element changed, so its panel shows the new value and preview.
      modeling.updateModdleProperties(element, definition, changes);
    } });
}

export function AddDueEntry(props) {
  var translate = useService('translate'), modeling = useService('modeling');
  var elementFactory = useService('elementFactory'), bpmnFactory = useService('bpmnFactory');
  var element = props.element;
  if (boundaryTimers(element).length) { return null; }
  function add() {
    var shape = elementFactory.createShape({ type: 'bpmn:BoundaryEvent', eventDefinitionType: 'bpmn:TimerEventDefinition' });
    shape.businessObject.cancelActivity = false;
    var created = modeling.createShape(shape, { x: element.x + element.width - 20, y: element.y + element.height },
                                       element, { attach: true });
    modeling.updateProperties(created, { name: translate('Due') });
    modeling.updateModdleProperties(element, timerDefinition(created),
      { timeDuration: bpmnFactory.create('bpmn:FormalExpression', { body: 'P7D' }) });
  }
  return jsx('div', { class: 'bio-properties-panel-entry due-add', 'data-entry-id': 'dueAdd', children: [
    jsx('p', { class: 'bio-properties-panel-description', children: translate('No due date: the task waits as long as it takes.') }),
    jsx('button', { type: 'button', class: 'button due-add-button', onClick: add, children: translate('Add a due date') })] });
}
