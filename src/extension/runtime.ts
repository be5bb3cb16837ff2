// The one object `activate()` builds and hands to every feature: logger, settings, clock.
// Features take what they need from it instead of reaching for globals, so later work (fleet model,
// reconcilers, CLI runners) receives the same services.
import * as vscode from 'vscode';
import { systemClock, type Clock } from './model/clock';
import { filteredLogger, type Logger } from './model/logger';
import { readSettings, SETTINGS_SECTION, type KokpitSettings } from './model/settings';

export interface SettingsReader {
  /** Current values (read on each call, so they are never stale). */
  current(): KokpitSettings;
  onDidChange: vscode.Event<KokpitSettings>;
}

export interface Runtime {
  logger: Logger;
  settings: SettingsReader;
  clock: Clock;
  /** The "Kokpit" output channel itself, for commands that reveal it. */
  output: vscode.LogOutputChannel;
}

export function createRuntime(context: vscode.ExtensionContext): Runtime {
  const output = vscode.window.createOutputChannel('Kokpit', { log: true });
  const changed = new vscode.EventEmitter<KokpitSettings>();
  const current = () => readSettings((key) => vscode.workspace.getConfiguration(SETTINGS_SECTION).get(key));
  context.subscriptions.push(
    output,
    changed,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SETTINGS_SECTION)) changed.fire(current());
    }),
  );
  // The channel also honours VS Code's own log level ("Developer: Set Log Level…"); kokpit.logLevel filters first.
  const logger = filteredLogger(output, () => current().logLevel);
  return { logger, settings: { current, onDidChange: changed.event }, clock: systemClock, output };
}
