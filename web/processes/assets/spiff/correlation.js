/* A message's correlation, as SpiffWorkflow's parser reads it: a bpmn:correlationProperty
   (a root element) with a correlationPropertyRetrievalExpression for the message, whose
   expression is evaluated over the message's content. Without a bpmn:correlationKey naming it,
   SpiffWorkflow files it under its default key. The property belongs to the message, so every
   event of that message shares it. */
import { TextFieldEntry } from '@bpmn-io/properties-panel';
import { useService } from 'bpmn-js-properties-panel';
import { is } from 'bpmn-js/lib/util/ModelUtil';
import { messageDefinition } from './entries.js';

function retrievals(definitions, message) {
  var found = [];
  ((definitions && definitions.get('rootElements')) || []).forEach(function (root) {
    if (!is(root, 'bpmn:CorrelationProperty')) { return; }
    (root.get('correlationPropertyRetrievalExpression') || []).forEach(function (r) {
      if (r.messageRef === message) { found.push({ property: root, retrieval: r }); }
    });
  });
  return found;
}

export function correlationOf(definitions, message) {
  var first = message && retrievals(definitions, message)[0];
  return (first && first.retrieval.messagePath && first.retrieval.messagePath.body) || '';
}

export function CorrelationEntry(props) {
  var translate = useService('translate'), debounce = useService('debounceInput');
  var modeling = useService('modeling'), bpmnFactory = useService('bpmnFactory'), canvas = useService('canvas');
  var element = props.element, definition = messageDefinition(element);
  var message = definition && definition.messageRef;
  if (!message) { return null; }
  var definitions = canvas.getRootElement().businessObject.$parent;
  while (definitions && !is(definitions, 'bpmn:Definitions')) { definitions = definitions.$parent; }
  return TextFieldEntry({ element: element, id: 'messageCorrelation', debounce: debounce,
    label: translate('Messages matched on (expression over the content)'),
    description: translate('Shared by every event of this message. For example org: once a case has taken a message, it takes only those with the same value.'),
    getValue: function () { return correlationOf(definitions, message); },
    setValue: function (value) {
      value = (value || '').trim();
      var found = retrievals(definitions, message)[0];
      if (found && value) {
        modeling.updateModdleProperties(element, found.retrieval,
          { messagePath: bpmnFactory.create('bpmn:FormalExpression', { body: value }) });
        return;
      }
      var roots = definitions.get('rootElements').slice();
      if (found) {
        var left = found.property.get('correlationPropertyRetrievalExpression').filter(function (r) { return r !== found.retrieval; });
        if (left.length) { modeling.updateModdleProperties(element, found.property, { correlationPropertyRetrievalExpression: left }); }
        else { modeling.updateModdleProperties(element, definitions, { rootElements: roots.filter(function (r) { return r !== found.property; }) }); }
        return;
      }
      if (!value) { return; }
      var retrieval = bpmnFactory.create('bpmn:CorrelationPropertyRetrievalExpression', {
        messageRef: message, messagePath: bpmnFactory.create('bpmn:FormalExpression', { body: value }) });
      var property = bpmnFactory.create('bpmn:CorrelationProperty', {
        id: 'CorrelationProperty_' + message.id, name: message.name || message.id,
        correlationPropertyRetrievalExpression: [retrieval] });
      retrieval.$parent = property;
      property.$parent = definitions;
      // Among the root elements, right after the message it belongs to.
      var at = roots.indexOf(message);
      roots.splice(at < 0 ? roots.length : at + 1, 0, property);
      modeling.updateModdleProperties(element, definitions, { rootElements: roots });
    } });
}
