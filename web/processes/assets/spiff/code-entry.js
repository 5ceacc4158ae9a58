/* A properties-panel entry editing Python in CodeMirror (scripts, pre- and post-scripts,
   conditions), with the live check's error shown under it like the panel's own entries. */
import { useEffect, useRef } from '@bpmn-io/properties-panel/preact/hooks';
import { jsx, jsxs } from '@bpmn-io/properties-panel/preact/jsx-runtime';
import { useError, useDebounce, useStaticCallback } from '@bpmn-io/properties-panel';
import { EditorView, keymap, lineNumbers, drawSelection, highlightSpecialChars } from '@codemirror/view';
import { EditorState, Annotation } from '@codemirror/state';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { syntaxHighlighting, defaultHighlightStyle, bracketMatching, indentUnit } from '@codemirror/language';
import { python } from '@codemirror/lang-python';

var External = Annotation.define();

export function CodeEntry(props) {
  var id = props.id, element = props.element, getValue = props.getValue, label = props.label;
  var value = getValue(element) || '';
  var error = useError(id);
  var holder = useRef(null), view = useRef(null);
  var commit = useStaticCallback(function (text) { props.setValue(text); });
  var debounced = useDebounce(commit, props.debounce);

  useEffect(function () {
    view.current = new EditorView({
      parent: holder.current,
      state: EditorState.create({
        doc: value,
        extensions: [lineNumbers(), highlightSpecialChars(), history(), drawSelection(), bracketMatching(),
                     indentUnit.of('    '), syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
                     keymap.of([indentWithTab].concat(defaultKeymap, historyKeymap)), python(),
                     EditorView.lineWrapping,
                     // Leaving the editor commits at once, not a debounce later on another element.
                     EditorView.domEventHandlers({ blur: function () { if (debounced.flush) { debounced.flush(); } } }),
                     EditorView.updateListener.of(function (update) {
                       var external = update.transactions.some(function (t) { return t.annotation(External); });
                       if (update.docChanged && !external) { debounced(update.state.doc.toString()); }
                     })]
      })
    });
    view.current.contentDOM.setAttribute('id', 'bio-properties-panel-' + id);
    view.current.contentDOM.setAttribute('aria-label', label);
    return function () { view.current.destroy(); };
  }, [element]);

  useEffect(function () {
    var v = view.current;
    if (!v || v.hasFocus) { return; }
    var now = v.state.doc.toString();
    if (now !== value) {
      v.dispatch({ changes: { from: 0, to: now.length, insert: value }, annotations: External.of(true) });
    }
  }, [value]);

  return jsxs('div', {
    class: 'bio-properties-panel-entry liandong-code-entry' + (error ? ' has-error' : ''),
    'data-entry-id': id,
    children: [
      jsx('label', { class: 'bio-properties-panel-label', for: 'bio-properties-panel-' + id, children: label }),
      jsx('div', { class: 'bio-properties-panel-input liandong-code', ref: holder }),
      error ? jsx('div', { class: 'bio-properties-panel-error', children: error }) : null,
      props.description ? jsx('div', { class: 'bio-properties-panel-description', children: props.description }) : null
    ]
  });
}

export function isCodeEdited(node) {
  var content = node && node.querySelector('.cm-content');
  return !!(content && content.textContent.trim());
}
