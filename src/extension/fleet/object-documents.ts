// Read-only documents for fleet objects (YAML, status), served from the watch cache and refreshed as it changes.
import * as vscode from 'vscode';
import { OBJECT_SCHEME, objectViewPath, parseObjectViewPath, renderObjectStatus, renderObjectYaml } from '../model/object-documents';
import type { FleetController } from './controller';

export function registerObjectDocuments(context: vscode.ExtensionContext, fleet: FleetController): void {
  const changed = new vscode.EventEmitter<vscode.Uri>();
  const provider: vscode.TextDocumentContentProvider = {
    onDidChange: changed.event,
    provideTextDocumentContent(uri) {
      const parsed = parseObjectViewPath(uri.path);
      if (!parsed) return `# not a kokpit object view: ${uri.path}\n`;
      const obj = fleet.object(parsed.ref);
      const what = `${parsed.ref.kind} ${parsed.ref.namespace ? `${parsed.ref.namespace}/` : ''}${parsed.ref.name}`;
      if (!obj) return `# ${what} is not in the fleet (deleted, or not connected)\n`;
      return parsed.view === 'yaml' ? renderObjectYaml(obj) : renderObjectStatus(obj);
    },
  };
  context.subscriptions.push(
    changed,
    vscode.workspace.registerTextDocumentContentProvider(OBJECT_SCHEME, provider),
    fleet.onDidChangeObject((ref) => {
      // Refresh only views that are open.
      for (const view of ['yaml', 'status'] as const) {
        const path = objectViewPath(view, ref);
        if (vscode.workspace.textDocuments.some((d) => d.uri.scheme === OBJECT_SCHEME && d.uri.path === path)) {
          changed.fire(vscode.Uri.from({ scheme: OBJECT_SCHEME, path }));
        }
      }
    }),
  );
}
