// The SPARQL editor of kg serve's query page, built on CodeMirror 6 and bundled by build.mjs into
// kg/static/vendor/codemirror.js. It knows nothing of this project's vocabulary: the page
// (kg/static/query.js) hands it a completion source. It exposes one global, window.KGEditor.
import { EditorState, StateEffect, StateField } from "@codemirror/state";
import {
  Decoration,
  EditorView,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import {
  StreamLanguage,
  bracketMatching,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { classHighlighter } from "@lezer/highlight";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  completionKeymap,
  startCompletion,
} from "@codemirror/autocomplete";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { sparql } from "@codemirror/legacy-modes/mode/sparql";

// ---- the error line: a line decoration the page sets from a 400 answer -----------------------

const setErrorLine = StateEffect.define();
const errorLineMark = Decoration.line({ class: "cm-error-line" });
const errorLine = StateField.define({
  create: () => Decoration.none,
  update(marks, transaction) {
    marks = marks.map(transaction.changes);
    for (const effect of transaction.effects) {
      if (effect.is(setErrorLine)) {
        marks = effect.value === null ? Decoration.none : Decoration.set([errorLineMark.range(effect.value)]);
      }
    }
    // Editing the text clears the mark: it describes the query as it was sent.
    return transaction.docChanged ? Decoration.none : marks;
  },
  provide: (field) => EditorView.decorations.from(field),
});

/**
 * Replace ``textarea`` with an editor; the textarea stays in the form, hidden, holding the text.
 *
 * options.onRun()            Ctrl/Cmd+Enter
 * options.onChange(text)     after every edit
 * options.complete(context)  {line, before, pos, explicit} -> null | {from, options, filter} or
 *                            a Promise of one; options are CodeMirror completions
 *                            ({label, detail, info, type, apply, boost})
 */
function create(textarea, options = {}) {
  const run = () => {
    if (options.onRun) options.onRun();
    return true;
  };
  const source = async (context) => {
    if (!options.complete) return null;
    const line = context.state.doc.lineAt(context.pos);
    const result = await options.complete({
      line: line.text,
      before: line.text.slice(0, context.pos - line.from),
      pos: context.pos,
      lineStart: line.from,
      explicit: context.explicit,
    });
    if (!result || context.aborted) return null;
    return result;
  };
  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        closeBrackets(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        StreamLanguage.define(sparql),
        syntaxHighlighting(classHighlighter),
        autocompletion({ override: [source], activateOnTyping: true, icons: false }),
        lintGutter(),
        errorLine,
        EditorView.lineWrapping,
        keymap.of([
          { key: "Mod-Enter", run, preventDefault: true },
          ...closeBracketsKeymap,
          ...defaultKeymap,
          ...searchKeymap,
          ...historyKeymap,
          ...completionKeymap,
          indentWithTab,
        ]),
        EditorView.updateListener.of((update) => {
          if (!update.docChanged) return;
          textarea.value = update.state.doc.toString();
          if (options.onChange) options.onChange(textarea.value);
        }),
        EditorView.contentAttributes.of({ "aria-label": options.label || "SPARQL query" }),
      ],
    }),
  });
  textarea.hidden = true;
  textarea.insertAdjacentElement("afterend", view.dom);

  const api = {
    view,
    getValue: () => view.state.doc.toString(),
    setValue(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    focus: () => view.focus(),
    startCompletion: () => startCompletion(view),
    /** Mark ``line`` (1-based) and, if given, ``column`` (1-based) with ``message``. */
    markError(line, column, message) {
      const doc = view.state.doc;
      const number = Math.min(Math.max(1, line), doc.lines);
      const target = doc.line(number);
      let from = target.from;
      let to = target.to;
      if (column) {
        from = Math.min(target.from + Math.max(0, column - 1), target.to);
        const rest = target.text.slice(from - target.from);
        const word = /^\S+/.exec(rest);
        to = word ? from + word[0].length : target.to;
        if (from === to && from > target.from) from -= 1;
      }
      view.dispatch(
        setDiagnostics(view.state, [{ from, to, severity: "error", message }]),
        { effects: setErrorLine.of(target.from), selection: { anchor: from }, scrollIntoView: true },
      );
    },
    clearError() {
      view.dispatch(setDiagnostics(view.state, []), { effects: setErrorLine.of(null) });
    },
  };
  return api;
}

window.KGEditor = { create };
