/* The modeler's bundle (built by `make install` with esbuild into
   web/processes/static/build/, not committed): bpmn-js's Modeler with bpmn-io's properties
   panel, the SpiffWorkflow extension (moddle descriptor and the panel's groups), the minimap,
   live checks, and the page around them (app.js). dmn-js stays the dist build served by
   web/vendor, as before. */
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';
import 'diagram-js-minimap/assets/diagram-js-minimap.css';

import BpmnModeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from 'bpmn-js-properties-panel';
import MinimapModule from 'diagram-js-minimap';

import spiffworkflow from './spiffworkflow.json';
import SpiffPropertiesModule from './spiff/index.js';
import LiveChecksModule from './live-checks.js';
import { startModeler } from './app.js';

// The groups an owner edits most start open; the rest one click away.
var OPEN_GROUPS = {};
['general', 'condition', 'script', 'userTask', 'timer', 'spiffMessage', 'lane', 'callActivity', 'businessRule',
 'multiInstance', 'prePostScripts', 'processData', 'due'].forEach(function (id) { OPEN_GROUPS[id] = { open: true }; });

startModeler(function (config, translation) {
  return new BpmnModeler({
    container: '#canvas',
    propertiesPanel: { parent: '#properties-panel', layout: { groups: OPEN_GROUPS } },
    moddleExtensions: { spiffworkflow: spiffworkflow },
    liandong: config,
    additionalModules: [translation, BpmnPropertiesPanelModule, BpmnPropertiesProviderModule,
                        SpiffPropertiesModule, LiveChecksModule, MinimapModule]
  });
});
