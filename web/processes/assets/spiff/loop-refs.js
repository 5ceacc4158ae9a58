/* SpiffWorkflow names a multi-instance task's collections by variable name
   (`<bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>`), which BPMN makes a reference to
   a data element by id. bpmn-moddle drops a reference it cannot resolve, so without this a
   model would lose its collections on the first save. After each import, every such
   reference is kept as a detached data input with that id: it writes back as the same name. */
var REFS = /(^|:)loopData(Input|Output)Ref$/;

export function variableRef(moddle, name) {
  return name ? moddle.create('bpmn:DataInput', { id: name }) : undefined;
}

function LoopReferences(eventBus, moddle) {
  eventBus.on('import.done', 2000, function (event) {
    (event.warnings || []).forEach(function (warning) {
      var element = warning.element, property = warning.property;
      if (element && property && REFS.test(property) && warning.value && !element.get(property)) {
        element.set(property.replace(/^bpmn:/, ''), variableRef(moddle, warning.value));
      }
    });
  });
}

LoopReferences.$inject = ['eventBus', 'moddle'];

export default { __init__: ['spiffLoopReferences'], spiffLoopReferences: ['type', LoopReferences] };
