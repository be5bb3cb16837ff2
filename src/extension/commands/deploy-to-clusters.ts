// "Deploy to Clusters…" on a YAML file (explorer or editor context menu, or the palette for the active editor): the
// file's objects go to the ManagedClusters carrying a label picked from those the hub's clusters have, as one OCM
// ManifestWorkReplicaSet and Placement. The objects are `kokpit deploy`'s (src/actions/deploy-to-clusters.ts) and
// so are the checks before anything is written (src/actions/deploy-apply.ts); applied under the editor's field manager.
import * as vscode from 'vscode';
import { applyDeployment, checkDeployment, listManagedClusters } from '../../actions/deploy-apply';
import {
  buildDeployment,
  DeployError,
  deployManifests,
  deployNameFromFile,
  deployedMessage,
  labelChoices,
} from '../../actions/deploy-to-clusters';
import { EDITOR_FIELD_MANAGER } from '../../actions/fleet-requests';
import { OCM_INSTALL_HINT } from '../../api/ocm';
import { describeKubeError, isNotFound } from '../../kube';
import { COMMANDS } from '../model/commands';
import { currentDocument, documentName } from './active-document';
import type { CommandModule, CommandServices } from './types';

async function deployToClusters({ fleet, runtime }: CommandServices, arg?: unknown): Promise<void> {
  const doc = await currentDocument(arg, 'deploy to clusters');
  const file = documentName(doc);
  const text = doc.getText();
  // The file first: one with nothing to deploy is refused before any question or request.
  deployManifests(file, text);
  const kc = fleet.metaKubeConfig;
  if (fleet.state.kind !== 'connected' || !kc)
    throw new Error('not connected to a meta cluster (run "Kokpit: Connect to Meta Cluster"); nothing was deployed');
  let clusters;
  try {
    clusters = await listManagedClusters(kc);
  } catch (e) {
    if (isNotFound(e))
      throw new Error(`the meta cluster has no Open Cluster Management hub (no ManagedClusters); ${OCM_INSTALL_HINT}`, { cause: e });
    throw new Error(`cannot list ManagedClusters: ${describeKubeError(e)}`, { cause: e });
  }
  if (!clusters.length) throw new Error('the hub has no ManagedCluster yet: nothing to deploy to');
  const picked = await vscode.window.showQuickPick(
    labelChoices(clusters).map((c) => ({
      label: c.label,
      description: `${c.clusters.length} cluster${c.clusters.length === 1 ? '' : 's'}: ${c.clusters.join(', ')}`,
      choice: c,
    })),
    { title: `Kokpit: deploy ${file} to the clusters labelled…` },
  );
  if (!picked) return;
  const selector = { [picked.choice.key]: picked.choice.value };
  const build = (name: string) => buildDeployment({ fileName: file, text, selector, name });
  const name = await vscode.window.showInputBox({
    title: 'Kokpit: name of the Placement and ManifestWorkReplicaSet (namespace default)',
    value: deployNameFromFile(file),
    validateInput: (v) => {
      try {
        build(v);
        return undefined;
      } catch (e) {
        return e instanceof DeployError ? e.message : String(e);
      }
    },
  });
  if (!name) return;
  const d = build(name);
  const verdict = await checkDeployment(kc, d, selector);
  if ('problem' in verdict) throw new Error(`${verdict.problem}`);
  await applyDeployment(kc, d, EDITOR_FIELD_MANAGER);
  const message = deployedMessage(d, file, verdict.clusters, selector);
  runtime.logger.info(`deploy to clusters: ${message}`);
  void vscode.window.showInformationMessage(`Kokpit: ${message}`);
}

export const deployToClustersCommands: CommandModule = {
  [COMMANDS.deployToClusters.id]: deployToClusters,
};
