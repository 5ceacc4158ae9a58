/* What a process takes in and gives back when another process calls it (a call activity):
   the process's bpmn:ioSpecification, as SpiffWorkflow's CallActivity reads it. With data
   inputs, the called process starts with only those variables of the caller (a missing one
   stops the call with an error); with data outputs, only those come back to the caller.
   Without them everything passes both ways. Each variable is a bpmn:dataInput (dataOutput)
   whose id is the variable's name, listed in the inputSet (outputSet), as SpiffArena writes. */
import { TextFieldEntry } from '@bpmn-io/properties-panel';
import { useCallback } from '@bpmn-io/properties-panel/preact/hooks';
import { useService } from 'bpmn-js-properties-panel';
import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

var IDENTIFIER = /^[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_\u00C0-\uFFFF]*$/;

/** The bpmn:Process an element stands for: the process itself or a participant's. */
export function processOfElement(element) {
  var bo = getBusinessObject(element);
  if (is(bo, 'bpmn:Participant')) { return bo.processRef; }
  return is(bo, 'bpmn:Process') ? bo : null;
}

/** The variable names a process takes in ('dataInputs') or gives back ('dataOutputs'). */
export function ioNames(process, which) {
  var spec = process && process.get('ioSpecification');
  return ((spec && spec.get(which)) || []).map(function (d) { return d.id; });
}

export function parseNames(text) {
  return (text || '').split(/[\s,，、]+/).filter(Boolean);
}

function invalidName(names) {
  return names.filter(function (n) { return !IDENTIFIER.test(n); })[0];
}

function setNames(injector, element, process, which, names) {
  var bpmnFactory = injector.get('bpmnFactory'), modeling = injector.get('modeling');
  var old = process.get('ioSpecification');
  var inputs = which === 'dataInputs' ? names : ioNames(process, 'dataInputs');
  var outputs = which === 'dataOutputs' ? names : ioNames(process, 'dataOutputs');
  if (!inputs.length && !outputs.length) {
    if (old) { modeling.updateModdleProperties(element, process, { ioSpecification: undefined }); }
    return;
  }
  var dataInputs = inputs.map(function (n) { return bpmnFactory.create('bpmn:DataInput', { id: n, name: n }); });
  var dataOutputs = outputs.map(function (n) { return bpmnFactory.create('bpmn:DataOutput', { id: n, name: n }); });
  var inputSet = bpmnFactory.create('bpmn:InputSet', { dataInputRefs: dataInputs });
  var outputSet = bpmnFactory.create('bpmn:OutputSet', { dataOutputRefs: dataOutputs });
  var spec = bpmnFactory.create('bpmn:InputOutputSpecification', {
    dataInputs: dataInputs, dataOutputs: dataOutputs, inputSets: [inputSet], outputSets: [outputSet] });
  dataInputs.concat(dataOutputs, [inputSet, outputSet]).forEach(function (e) { e.$parent = spec; });
  spec.$parent = process;
  modeling.updateModdleProperties(element, process, { ioSpecification: spec });
}

export function ProcessDataEntry(props) {
  var translate = useService('translate'), debounce = useService('debounceInput'), injector = useService('injector');
  var element = props.element, which = props.which, process = processOfElement(element);
  var inputs = which === 'dataInputs';
  // Stable, or the panel's effect re-validates the saved value on each render and the
  // message for a bad name typed (never saved) would vanish at once.
  var validate = useCallback(function (value) {
    var bad = invalidName(parseNames(value));
    return bad ? translate('"{name}" is not a variable name', { name: bad }) : null;
  }, [translate]);
  return TextFieldEntry({ element: element, id: props.id, debounce: debounce,
    label: translate(inputs ? 'Variables it receives when called' : 'Variables it gives back'),
    description: translate(inputs ? 'Names separated by commas; empty: it receives all of the caller\'s data.'
                                  : 'Names separated by commas; empty: all of its data goes back to the caller.'),
    getValue: function () { return ioNames(process, which).join(', '); },
    validate: validate,
    setValue: function (value) {
      var names = parseNames(value);
      if (invalidName(names)) { return; }
      names = names.filter(function (n, i) { return names.indexOf(n) === i; });
      if (names.join(',') === ioNames(process, which).join(',')) { return; }
      setNames(injector, element, process, which, names);
    } });
}
