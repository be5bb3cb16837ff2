// Where the language features apply: YAML files on disk and unsaved editors (schema-driven text help is local).
import type * as vscode from 'vscode';
import { shouldAssist } from '../model/documents';

export const YAML_SELECTOR: vscode.DocumentSelector = [
  { language: 'yaml', scheme: 'file' },
  { language: 'yaml', scheme: 'untitled' },
];

export function assists(document: vscode.TextDocument): boolean {
  return shouldAssist(document.languageId, document.getText(), document.uri.path);
}
