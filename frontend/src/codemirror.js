// The exam page's CodeMirror 6 setup, bundled by build.mjs into static/exam/vendor/codemirror.js.
// One place lists every exam language with its highlighting and indentation, so the editor and
// the reviewers' replay viewer show code the same way.

import { autocompletion, closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { cpp } from "@codemirror/lang-cpp";
import { go } from "@codemirror/lang-go";
import { java } from "@codemirror/lang-java";
import { javascript } from "@codemirror/lang-javascript";
import { php } from "@codemirror/lang-php";
import { python } from "@codemirror/lang-python";
import { rust } from "@codemirror/lang-rust";
import {
  HighlightStyle,
  StreamLanguage,
  bracketMatching,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "@codemirror/language";
import { c, csharp, kotlin, scala } from "@codemirror/legacy-modes/mode/clike";
import { ruby } from "@codemirror/legacy-modes/mode/ruby";
import { swift } from "@codemirror/legacy-modes/mode/swift";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { Compartment, EditorState } from "@codemirror/state";
import {
  EditorView,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { tags } from "@lezer/highlight";

const legacy = (mode) => () => StreamLanguage.define(mode);

// Every language the exam page offers (static/exam/exam-view.js LANGUAGES).
const LANGUAGE_SUPPORT = {
  python: () => python(),
  javascript: () => javascript(),
  typescript: () => javascript({ typescript: true }),
  java: () => java(),
  c: legacy(c),
  cpp: () => cpp(),
  csharp: legacy(csharp),
  go: () => go(),
  rust: () => rust(),
  ruby: legacy(ruby),
  php: () => php({ plain: true }),
  kotlin: legacy(kotlin),
  swift: legacy(swift),
  scala: legacy(scala),
};

export const SUPPORTED_LANGUAGES = Object.keys(LANGUAGE_SUPPORT);

export function languageExtension(name) {
  const make = LANGUAGE_SUPPORT[name];
  return make ? make() : [];
}

// Colours chosen for at least 4.5:1 contrast on the white editor background (WCAG AA).
const highlightStyle = HighlightStyle.define([
  { tag: [tags.keyword, tags.controlKeyword, tags.moduleKeyword, tags.operatorKeyword], color: "#7a1fa2", fontWeight: "600" },
  { tag: [tags.string, tags.special(tags.string), tags.regexp], color: "#1b6b1b" },
  { tag: [tags.comment, tags.lineComment, tags.blockComment], color: "#5c5c5c", fontStyle: "italic" },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: "#a33b00" },
  { tag: [tags.function(tags.variableName), tags.function(tags.propertyName)], color: "#0b4f9c" },
  { tag: [tags.definition(tags.variableName), tags.className, tags.typeName], color: "#005f73" },
  { tag: [tags.meta, tags.annotation], color: "#6b4e00" },
  { tag: tags.invalid, color: "#b00020" },
]);

const theme = EditorView.theme({
  "&": { fontSize: "0.95rem", border: "1px solid #6b7280", borderRadius: "4px", backgroundColor: "#ffffff" },
  "&.cm-focused": { outline: "3px solid #1d4ed8", outlineOffset: "2px" },
  ".cm-content": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", minHeight: "16rem" },
  ".cm-gutters": { backgroundColor: "#f3f4f6", color: "#374151", borderRight: "1px solid #d1d5db" },
  ".cm-activeLine": { backgroundColor: "#eef2ff" },
  ".cm-activeLineGutter": { backgroundColor: "#e0e7ff", color: "#111827" },
  ".cm-scroller": { maxHeight: "60vh", overflow: "auto" },
});

/**
 * Creates an editor in `parent`. `onTransaction(tr, view)` sees every document change (with its
 * user event: input.type, input.paste, delete.backward, undo, ...); `nonce` lets CodeMirror's
 * style element pass the page's Content-Security-Policy.
 */
export function createEditor(
  parent,
  { doc = "", language = "python", label = "Code", nonce = "", readOnly = false, onTransaction = null } = {},
) {
  const languageSlot = new Compartment();
  const readOnlySlot = new Compartment();
  const extensions = [
    lineNumbers(),
    highlightActiveLineGutter(),
    history(),
    drawSelection(),
    indentOnInput(),
    indentUnit.of("    "),
    EditorState.tabSize.of(4),
    bracketMatching(),
    closeBrackets(),
    autocompletion({ activateOnTyping: false }),
    highlightActiveLine(),
    highlightSelectionMatches(),
    syntaxHighlighting(highlightStyle),
    // indentWithTab keeps Tab for indentation; Escape then Tab moves focus on (no trap).
    keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, indentWithTab]),
    languageSlot.of(languageExtension(language)),
    readOnlySlot.of([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
    EditorView.contentAttributes.of({ "aria-label": label, "aria-multiline": "true" }),
    theme,
  ];
  if (nonce) extensions.push(EditorView.cspNonce.of(nonce));
  const view = new EditorView({
    parent,
    state: EditorState.create({ doc, extensions }),
    dispatchTransactions(transactions, editorView) {
      editorView.update(transactions);
      if (onTransaction) for (const tr of transactions) if (tr.docChanged) onTransaction(tr, editorView);
    },
  });
  return {
    view,
    setLanguage(name) {
      view.dispatch({ effects: languageSlot.reconfigure(languageExtension(name)) });
    },
    setReadOnly(flag) {
      view.dispatch({
        effects: readOnlySlot.reconfigure([EditorState.readOnly.of(flag), EditorView.editable.of(!flag)]),
      });
    },
    setText(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
  };
}
