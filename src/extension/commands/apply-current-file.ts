// "Apply Current File": validate first (refuse with the first error's position), then server-side apply every
// kokpit document to the connected meta cluster as field manager 'kokpit'. The Fleet view's watches show the result.
// From a CodeLens the second argument is one document's index: only that document is checked and applied.
import * as vscode from 'vscode';
import { applyObject, makeObjectApi } from '../../kube';
import { applyAll, describeOutcome, planApply, planDocument, type ApplyPlan } from '../model/apply-plan';
import { COMMANDS } from '../model/commands';
import { offlineValidationOptions } from '../model/validation-options';
import { currentDocument, documentName } from './active-document';
import type { CommandModule, CommandServices } from './types';

async function applyCurrentFile({ fleet, runtime }: CommandServices, arg?: unknown, document?: unknown): Promise<void> {
  const doc = await currentDocument(arg, 'apply');
  const file = documentName(doc);
  // Validation comes first, so an invalid file is refused even when no cluster is connected.
  const plan: ApplyPlan =
    typeof document === 'number'
      ? { objects: [planDocument(doc.getText(), file, document, offlineValidationOptions())], skipped: [] }
      : planApply(doc.getText(), file, offlineValidationOptions());
  const kc = fleet.metaKubeConfig;
  if (fleet.state.kind !== 'connected' || !kc)
    throw new Error('not connected to a meta cluster (run "Kokpit: Connect to Meta Cluster"); nothing was applied');
  const context = fleet.state.context;
  const client = makeObjectApi(kc);
  const outcome = await runtime.progress.run(`applying ${file}`, (step, signal) =>
    applyAll(plan.objects, (obj) => applyObject(client, obj), step, signal),
  );
  const text = describeOutcome(outcome, context);
  const skipped = plan.skipped.length ? `; not kokpit's, left alone: ${plan.skipped.join(', ')}` : '';
  // The command wrapper shows the message and logs it; the message is the apiserver's, never a client stack.
  if (outcome.failure) throw new Error(text);
  runtime.logger.info(`apply ${file}: ${text}${skipped}`);
  void vscode.window.showInformationMessage(`Kokpit: ${text}${skipped}`);
}

export const applyCommands: CommandModule = {
  [COMMANDS.applyCurrentFile.id]: applyCurrentFile,
};
