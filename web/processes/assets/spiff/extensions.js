/* Reading and writing SpiffWorkflow's extension elements (spiffworkflow: namespace, described
   by ../spiffworkflow.json) through bpmn-js's command stack, so every edit can be undone. */
import { getBusinessObject } from 'bpmn-js/lib/util/ModelUtil';

export function extensionValues(bo) {
  var ext = bo && bo.get('extensionElements');
  return (ext && ext.get('values')) || [];
}

export function extension(bo, type) {
  return extensionValues(bo).filter(function (v) { return v.$type === type; })[0];
}

/** The body of a text extension (spiffworkflow:PreScript, ...), or ''. */
export function bodyOf(bo, type) {
  var found = extension(bo, type);
  return (found && found.get('value')) || '';
}

function replaceValues(injector, element, bo, values) {
  var modeling = injector.get('modeling'), bpmnFactory = injector.get('bpmnFactory');
  var ext = bo.get('extensionElements');
  if (!ext) {
    ext = bpmnFactory.create('bpmn:ExtensionElements', { values: values });
    ext.$parent = bo;
    values.forEach(function (v) { v.$parent = ext; });
    modeling.updateModdleProperties(element, bo, { extensionElements: ext });
    return;
  }
  values.forEach(function (v) { v.$parent = ext; });
  modeling.updateModdleProperties(element, ext, { values: values });
}

/** Set (empty: remove) a text extension of `bo` (default: the element's own). */
export function setBody(injector, element, type, value, bo) {
  bo = bo || getBusinessObject(element);
  var values = extensionValues(bo).slice();
  var index = values.findIndex(function (v) { return v.$type === type; });
  if (value) {
    var created = injector.get('bpmnFactory').create(type, { value: value });
    if (index >= 0) { values.splice(index, 1, created); } else { values.push(created); }
  } else if (index >= 0) {
    values.splice(index, 1);
  } else {
    return;
  }
  replaceValues(injector, element, bo, values);
}

/** A spiffworkflow:property's value by name, or ''. */
export function propertyOf(bo, name) {
  var props = extension(bo, 'spiffworkflow:Properties');
  var found = props && (props.get('properties') || []).filter(function (p) { return p.name === name; })[0];
  return (found && found.value) || '';
}

/** Set (empty: remove) the spiffworkflow:property `name`, keeping the others in order. */
export function setProperty(injector, element, name, value) {
  var bpmnFactory = injector.get('bpmnFactory');
  var bo = getBusinessObject(element);
  var values = extensionValues(bo).slice();
  var index = values.findIndex(function (v) { return v.$type === 'spiffworkflow:Properties'; });
  var old = index >= 0 ? values[index].get('properties') : [];
  var props = old.map(function (p) { return bpmnFactory.create('spiffworkflow:Property', { name: p.name, value: p.value }); });
  var at = props.findIndex(function (p) { return p.name === name; });
  if (value) {
    var created = bpmnFactory.create('spiffworkflow:Property', { name: name, value: value });
    if (at >= 0) { props.splice(at, 1, created); } else { props.push(created); }
  } else if (at >= 0) {
    props.splice(at, 1);
  } else {
    return;
  }
  var container = bpmnFactory.create('spiffworkflow:Properties', { properties: props });
  props.forEach(function (p) { p.$parent = container; });
  if (!props.length) { values.splice(index, 1); }
  else if (index >= 0) { values.splice(index, 1, container); }
  else { values.push(container); }
  replaceValues(injector, element, bo, values);
}
