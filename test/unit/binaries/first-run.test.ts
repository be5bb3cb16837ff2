// What a first run builds and how it says so: the environment's binary list (no duplicates, kwok included),
// build progress lines and the live TTY line with an estimate from the last build, exact requests built in
// one numbered list, and the on-demand provider (one build per binary, failures remembered, reasons given).
// The `go` here is a small script standing in for the toolchain, so the real build path runs.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBinaries, type BuildEvent } from '../../../src/binaries/build';
import { CATALOG, KWOK_VERSION, OCM_COMPONENTS, OCM_VERSION } from '../../../src/binaries/catalog';
import { BuildTimes, buildProgressReporter, duration, formatBuildEvent } from '../../../src/binaries/progress';
import { localBinaryProvider } from '../../../src/binaries/provider';
import { defaultEnvironmentConfig } from '../../../src/local/config';
import { environmentBinaries } from '../../../src/local/requirements';
import { withTempEnv } from '../../support/temp-env';

const spec = (component: string) => CATALOG.find((s) => s.component === component)!;

/** A `go` that "builds" by writing a shell script to the -o path, after an optional delay. */
function fakeGo(dir: string, sleep = 0): string {
  const file = path.join(dir, 'go');
  fs.writeFileSync(
    file,
    `#!/bin/sh\nif [ "$1" = env ]; then echo go1.26.0; exit 0; fi\nsleep ${sleep}\nwhile [ "$1" != -o ]; do shift; done\n` +
      `printf '#!/bin/sh\\necho built\\n' > "$2"\n`,
    { mode: 0o755 },
  );
  return file;
}

describe('first run: which binaries, built how', () => {
  const tempDir = withTempEnv('kokpit-first-run-', (t) => ({
    KOKPIT_BIN_DIR: path.join(t, 'bin'),
    KOKPIT_LOG_DIR: path.join(t, 'logs'),
    XDG_CACHE_HOME: path.join(t, 'cache'),
    KUBEBUILDER_ASSETS: undefined,
  }));

  it("sandbox with the sample: meta control plane, the sample's pods, etcdutl and kwok, each once", () => {
    const need = environmentBinaries({ runtime: 'sandbox', config: defaultEnvironmentConfig(), withSample: true });
    const keys = need.map((n) => `${n.component} ${n.version}`);
    assert.equal(new Set(keys).size, keys.length, `duplicates in ${keys.join(', ')}`);
    for (const k of [
      'etcd v3.5.35',
      'etcdutl v3.5.35',
      'kube-apiserver v1.33.13',
      'kube-controller-manager v1.33.13',
      'kube-scheduler v1.33.13',
      `kwok ${KWOK_VERSION}`,
    ]) {
      assert.ok(keys.includes(k), `${k} missing from ${keys.join(', ')}`);
    }
    // One line per binary, with every reason it is needed.
    assert.equal(need.find((n) => n.component === 'kube-apiserver')?.why, 'meta control plane, business control planes at v1.33.13');
  });

  it('business clusters from kokpit.yaml add their versions; without a sample nothing else is needed', () => {
    const config = {
      ...defaultEnvironmentConfig(),
      kubernetesVersion: 'v1.33.13',
      businessClusters: [{ name: 'old', spec: { version: 'v1.32.0' } as never }],
    };
    const keys = environmentBinaries({ runtime: 'sandbox', config, withSample: false }).map((n) => `${n.component} ${n.version}`);
    assert.ok(keys.includes('kube-scheduler v1.32.0') && keys.includes('kube-apiserver v1.32.0'));
    assert.ok(!keys.includes('kube-scheduler v1.33.13'), 'the meta control plane runs no scheduler');
  });

  it('--with-ocm adds the OCM binaries the hub and agents run (on demand otherwise), at OCM_VERSION; without it none', () => {
    const config = defaultEnvironmentConfig();
    const ocm = environmentBinaries({ runtime: 'sandbox', config, withSample: false, withOcm: true }).filter((n) =>
      (OCM_COMPONENTS as readonly string[]).includes(n.component),
    );
    assert.deepEqual(
      ocm.map((n) => `${n.component} ${n.version}`),
      ['registration', 'placement', 'work', 'registration-operator'].map((c) => `${c} ${OCM_VERSION}`),
    );
    assert.ok(ocm.every((n) => n.why === 'Open Cluster Management hub and agents (--with-ocm)'));
    // Every one is a catalog entry ensureBinaries builds on request.
    for (const n of ocm) assert.ok(CATALOG.some((s) => s.component === n.component && s.version === n.version && s.onDemand));
    const without = environmentBinaries({ runtime: 'sandbox', config, withSample: false });
    assert.ok(!without.some((n) => (OCM_COMPONENTS as readonly string[]).includes(n.component)));
  });

  it('exact requests: duplicates build once, in one numbered list, with start/done lines', async () => {
    const go = fakeGo(tempDir());
    const lines: string[] = [];
    const events: BuildEvent[] = [];
    await ensureBinaries({
      requests: [
        { component: 'kwok', version: KWOK_VERSION },
        { component: 'etcd', version: 'v3.5.35' },
        { component: 'kwok', version: KWOK_VERSION },
      ],
      goBinary: go,
      onProgress: (l) => lines.push(l),
      onEvent: (e) => events.push(e),
    });
    assert.deepEqual(
      events.map((e) => e.type),
      ['plan', 'start', 'done', 'start', 'done'],
    );
    assert.match(lines[0], /^2 of 2 binaries missing; building with go1\.26\.0 into .*: etcd v3\.5\.35, kwok v0\.7\.0$/);
    assert.match(lines[1], /^\[1\/2\] etcd v3\.5\.35: building \(no earlier build here to estimate from\)$/);
    assert.match(lines[4], /^\[2\/2\] kwok v0\.7\.0: built in \d+s$/);
    // The durations are kept: the next build of the same binary has an estimate.
    const est = new BuildTimes(path.join(tempDir(), 'cache', 'kokpit', 'build-times.json')).estimate('kwok', KWOK_VERSION);
    assert.ok(est && est.seconds >= 0 && /last build/.test(est.from));
  });

  it('refuses a pair that cannot be built, with the reason, before building anything', async () => {
    await assert.rejects(
      ensureBinaries({ requests: [{ component: 'kube-scheduler', version: 'v1.32.13' }], goBinary: '/nonexistent' }),
      /cannot be built from Go modules: its staging modules/,
    );
    await assert.rejects(
      ensureBinaries({ requests: [{ component: 'kwok', version: 'v9.9.9' }], goBinary: '/nonexistent' }),
      /kwok v9\.9\.9 is not a binary kokpit builds \(it builds kwok v0\.7\.0\)/,
    );
  });

  it('estimates come from the last build of the same binary, else another version of it', () => {
    const t = new BuildTimes(path.join(tempDir(), 'times.json'));
    assert.equal(t.estimate('kube-apiserver', 'v1.33.13'), undefined);
    t.record('kube-apiserver', 'v1.32.0', 600);
    assert.deepEqual(t.estimate('kube-apiserver', 'v1.33.13')?.seconds, 600);
    assert.match(t.estimate('kube-apiserver', 'v1.33.13')!.from, /kube-apiserver v1\.32\.0/);
    t.record('kube-apiserver', 'v1.33.13', 845);
    assert.equal(t.estimate('kube-apiserver', 'v1.33.13')?.seconds, 845);
  });

  it('a TTY gets one live line per build (elapsed, estimate, time left), redrawn and then replaced by the result', async () => {
    const written: string[] = [];
    const r = buildProgressReporter({ write: (s) => written.push(s), isTTY: true });
    const at = { index: 2, count: 5, spec: spec('kube-apiserver') };
    r.onEvent({ type: 'start', ...at, estimateSeconds: 845, estimateFrom: 'the last build' });
    await new Promise((res) => setTimeout(res, 1100));
    r.onEvent({ type: 'done', ...at, seconds: 830 });
    const live = written.filter((w) => w.startsWith('\r\x1b[K[2/5]'));
    assert.ok(live.length >= 2, `redrawn: ${JSON.stringify(written)}`);
    assert.match(live[0], /\[2\/5\] kube-apiserver v1\.32\.0: building 0s of ~14m05s, ~14m05s left/);
    assert.equal(written.at(-1), '[2/5] kube-apiserver v1.32.0: built in 13m50s\n');
    assert.ok(!written.at(-1)!.includes('\r'), 'the result is a plain line');
  });

  it('formats durations and plans for a log', () => {
    assert.equal(duration(3), '3s');
    assert.equal(duration(75), '1m15s');
    assert.equal(duration(3720), '1h02m');
    const line = formatBuildEvent({
      type: 'plan',
      total: 3,
      goVersion: 'go1.26.0',
      dir: '/c',
      items: [
        { component: 'etcd', version: 'v3.5.35', estimateSeconds: 60 },
        { component: 'kwok', version: 'v0.7.0', estimateSeconds: 30 },
      ],
    });
    assert.match(line, /2 of 3 binaries missing; .*~1m30s by the last builds: etcd v3\.5\.35, kwok v0\.7\.0/);
  });

  it('on demand: concurrent callers share one build; the state says "building" meanwhile, then "present"', async () => {
    let builds = 0;
    const provider = localBinaryProvider({
      ensure: async (o) => {
        builds++;
        return ensureBinaries({ ...o, goBinary: fakeGo(tempDir(), 1) });
      },
    });
    assert.equal(provider.state('kwok', KWOK_VERSION).state, 'missing');
    const [a, b] = [provider.ensure('kwok', KWOK_VERSION), provider.ensure('kwok', KWOK_VERSION)];
    assert.match(
      (provider.state('kwok', KWOK_VERSION) as { message: string }).message,
      /^waiting to build kwok v0\.7\.0 .*one build at a time/,
    );
    await new Promise((r) => setTimeout(r, 200));
    const st = provider.state('kwok', KWOK_VERSION);
    assert.equal(st.state, 'building');
    assert.match((st as { message: string }).message, /^building kwok v0\.7\.0 from Go modules on demand since \d{4}-\d\d-\d\dT[\d:]+Z$/);
    assert.equal(await a, await b);
    assert.equal(builds, 1);
    assert.equal(provider.state('kwok', KWOK_VERSION).state, 'present');
    assert.equal(provider.find('kwok', KWOK_VERSION), await a);
  });

  it('on demand: request() starts a missing build in the background once, says building, and reports how it ended', async () => {
    let builds = 0;
    const provider = localBinaryProvider({ ensure: async (o) => (builds++, ensureBinaries({ ...o, goBinary: fakeGo(tempDir()) })) });
    const ended: unknown[] = [];
    const first = provider.request('kwok', KWOK_VERSION, (e) => ended.push(e ?? 'ok'));
    const again = provider.request('kwok', KWOK_VERSION, (e) => ended.push(e ?? 'again'));
    assert.deepEqual([first.state, again.state], ['building', 'building']);
    await provider.ensure('kwok', KWOK_VERSION);
    await new Promise((r) => setImmediate(r));
    assert.equal(builds, 1);
    assert.deepEqual(ended, ['ok'], 'only the request that started the build hears of it');
    assert.equal(provider.request('kwok', KWOK_VERSION).state, 'present');
  });

  it('on demand: a failed build is remembered (no rebuild loop) and said; unbuildable versions are refused', async () => {
    let builds = 0;
    const provider = localBinaryProvider({
      retryFailedAfterMs: 60_000,
      ensure: async () => {
        builds++;
        throw new Error('go build of kwok v0.7.0 failed (exit 1)\n--- last 40 lines ---\nx');
      },
    });
    await assert.rejects(provider.ensure('kwok', KWOK_VERSION), /exit 1/);
    await assert.rejects(
      provider.ensure('kwok', KWOK_VERSION),
      /building kwok v0\.7\.0 failed: go build of kwok v0\.7\.0 failed \(exit 1\)$/,
    );
    assert.equal(builds, 1);
    assert.equal(provider.state('kwok', KWOK_VERSION).state, 'failed');
    const u = provider.state('kube-controller-manager', 'v1.32.13');
    assert.equal(u.state, 'unbuildable');
    await assert.rejects(provider.ensure('kube-controller-manager', 'v1.32.13'), /cannot be built from Go modules: its staging modules/);
  });
});
