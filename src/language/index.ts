// Editor features without vscode: completion and hover from the same schemas the validator uses.
export { completionsAt, type CompletionItem } from './completion';
export { hoverAt, type HoverResult } from './hover';
export { documentLenses, lensAt, type DocumentLens } from './code-lens';
export { quickFixes, applyEdit, type QuickFix, type TextEdit } from './quick-fixes';
