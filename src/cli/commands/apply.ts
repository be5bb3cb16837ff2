// `kokpit apply -f <file>`: validate, then server-side apply every document to the meta cluster with
// kokpit's field manager. Nothing is applied when any document is invalid.
import type { KubernetesObject } from '@kubernetes/client-node';
import { applyObject, describeKubeError, makeObjectApi } from '../../kube';
import { META_FLAGS, metaCluster, parseFlags, str } from '../../local/args';
import { validateText } from '../../validation';
import { EXIT, UsageError, type Command } from '../command';
import { readManifests } from './render';

export const applyCommand: Command = {
  name: 'apply',
  summary: 'Validate and server-side apply manifests to the meta cluster',
  usage: 'kokpit apply -f FILE [-n NAMESPACE] [--dry-run] [--kubeconfig FILE] [--context NAME] [--name ENV]',
  async run(argv, io) {
    const p = parseFlags(argv, [...META_FLAGS, { name: 'filename', short: 'f', value: true }, { name: 'namespace', short: 'n', value: true }, { name: 'dry-run' }]);
    const file = str(p, 'filename');
    if (!file || p.positionals.length) throw new UsageError('give the manifests with -f FILE');
    const { text, docs } = readManifests(file, io.cwd);
    const errors = validateText(text).filter((d) => d.severity === 'error');
    if (errors.length) {
      for (const d of errors) io.err(`${file}:${d.line}:${d.column}: ${d.message}`);
      io.err(`kokpit apply: ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing applied`);
      return EXIT.FAILED;
    }
    const { kc } = metaCluster(p);
    const objects = makeObjectApi(kc);
    const ns = str(p, 'namespace');
    let failed = 0;
    for (const doc of docs as KubernetesObject[]) {
      if (doc.kind === 'LocalEnvironment') {
        io.err(`skipped LocalEnvironment ${doc.metadata?.name ?? ''}: it is read by \`kokpit up --config\`, not applied`);
        continue;
      }
      const obj = { ...doc, metadata: { ...doc.metadata, ...(ns && !doc.metadata?.namespace ? { namespace: ns } : {}) } } as KubernetesObject;
      const what = `${obj.kind?.toLowerCase()}/${obj.metadata?.name}`;
      try {
        await applyObject(objects, obj, { dryRun: p.flags['dry-run'] === true });
        io.out(`${what} applied${p.flags['dry-run'] ? ' (server dry run)' : ''}`);
      } catch (e) {
        failed++;
        io.err(`${what}: ${describeKubeError(e)}`);
      }
    }
    return failed ? EXIT.FAILED : EXIT.OK;
  },
};
