// `kokpit install` and `kokpit uninstall`: the manager as a workload of the meta cluster (src/local/install.ts).
import { stringify } from 'yaml';
import { installManager, objectName, renderInstall, uninstallManager } from '../../local/install';
import { waitForManager } from '../../local/install-wait';
import { parseDuration } from './upgrade';
import { META_FLAGS, metaCluster, parseFlags, str } from '../args';
import { EXIT, UsageError, type Command } from '../command';

export const installCommand: Command = {
  async run(argv, io) {
    const p = parseFlags(argv, [
      ...META_FLAGS,
      { name: 'image', value: true },
      { name: 'replicas', value: true },
      { name: 'dry-run' },
      { name: 'no-wait' },
      { name: 'timeout', value: true },
      { name: 'with-multicluster' },
      { name: 'output', short: 'o', value: true, oneOf: ['yaml', 'json', 'name'] },
    ]);
    if (p.positionals.length) throw new UsageError(`unexpected argument "${p.positionals[0]}"`);
    const replicasFlag = str(p, 'replicas');
    const replicas = replicasFlag === undefined ? undefined : Number(replicasFlag);
    if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 0))
      throw new UsageError(`--replicas must be a whole number, not "${replicasFlag}"`);
    const image = str(p, 'image');
    if (image !== undefined && !/^[^\s:@/][^\s]*$/.test(image)) throw new UsageError(`--image "${image}" is not an image reference`);
    const timeoutMs = parseDuration(str(p, 'timeout') ?? '5m');
    // The multicluster operator (OCM registration) with its grants: config/with-multicluster.
    const objects = renderInstall({ image, replicas, multicluster: p.flags['with-multicluster'] === true });
    const output = str(p, 'output');
    if (p.flags['dry-run']) {
      if (output === 'yaml') io.out(objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
      else if (output === 'json') io.out(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2));
      else for (const o of objects) io.out(`${objectName(o)} (dry run)`);
      return EXIT.OK;
    }
    if (output && output !== 'name') throw new UsageError(`-o ${output} needs --dry-run (it prints what would be applied)`);
    const { kc } = metaCluster(p);
    let holder: string | undefined;
    try {
      await installManager(kc, objects, (line) => io.out(line));
      if (p.flags['no-wait']) {
        io.out('kokpit manager applied (not waiting: --no-wait); `kokpit status` shows which pod holds the lease');
        return EXIT.OK;
      }
      holder = await waitForManager(kc, { timeoutMs, log: (line) => io.out(line) });
    } catch (e) {
      io.err(`kokpit install: ${(e as Error).message}`);
      return EXIT.FAILED;
    }
    io.out(`kokpit manager installed; ${holder ? `pod ${holder} holds the lease` : 'scaled to 0 replicas: no pod holds the lease'}`);
    return EXIT.OK;
  },
};

export const uninstallCommand: Command = {
  async run(argv, io) {
    const p = parseFlags(argv, [...META_FLAGS, { name: 'purge' }]);
    if (p.positionals.length) throw new UsageError(`unexpected argument "${p.positionals[0]}"`);
    const { kc } = metaCluster(p);
    try {
      // With the multicluster grants: whichever way it was installed, nothing of it is left.
      await uninstallManager(kc, renderInstall({ multicluster: true }), { purge: p.flags.purge === true, log: (line) => io.out(line) });
    } catch (e) {
      io.err(`kokpit uninstall: ${(e as Error).message}`);
      return EXIT.FAILED;
    }
    io.out(
      p.flags.purge
        ? 'kokpit removed, with every kokpit object and the CRDs'
        : 'kokpit manager removed; CRDs and kokpit objects left in place',
    );
    return EXIT.OK;
  },
};
