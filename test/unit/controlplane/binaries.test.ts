// Where the harness finds its binaries, and what happens when one is missing: with CI=true it is built
// and a failed build fails; without CI and without Go there is one clear message. The `go` used here is
// a small script standing in for the toolchain, so the real build path (log file, tail on failure) runs.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { binaryPath, ensureBinaries } from '../../../src/binaries/build';
import { resolveBinaries } from '../../../src/controlplane';

function withEnv(vars: Record<string, string | undefined>, fn: () => Promise<void>): () => Promise<void> {
  return async () => {
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    try {
      await fn();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };
}

function executable(file: string, content = '#!/bin/sh\nexit 0\n'): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode: 0o755 });
  return file;
}

describe('controlplane: finding and building binaries', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-bins-test-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it(
    'honours KOKPIT_BIN_DIR (<component>/<version>/<component>)',
    withEnv({ KOKPIT_BIN_DIR: undefined, KUBEBUILDER_ASSETS: undefined }, async () => {
      process.env.KOKPIT_BIN_DIR = tmp;
      const etcd = executable(path.join(tmp, 'etcd', 'v3.5.35', 'etcd'));
      const paths = await resolveBinaries([{ component: 'etcd', version: 'v3.5.35' }], { env: {}, hasGo: async () => false });
      assert.equal(paths.get('etcd'), etcd);
    }),
  );

  it(
    'prefers KUBEBUILDER_ASSETS for etcd and kube-apiserver when it holds them',
    withEnv({ KOKPIT_BIN_DIR: undefined, KUBEBUILDER_ASSETS: undefined }, async () => {
      process.env.KOKPIT_BIN_DIR = path.join(tmp, 'empty');
      process.env.KUBEBUILDER_ASSETS = path.join(tmp, 'assets');
      const apiserver = executable(path.join(tmp, 'assets', 'kube-apiserver'));
      assert.equal(binaryPath('kube-apiserver', 'v1.33.13'), apiserver);
      // Not an envtest component: still the kokpit cache.
      assert.equal(binaryPath('kwok', 'v0.7.0'), path.join(tmp, 'empty', 'kwok', 'v0.7.0', 'kwok'));
    }),
  );

  it(
    'without CI and without Go: one error naming what is missing and how to get it',
    withEnv({ KOKPIT_BIN_DIR: undefined, KUBEBUILDER_ASSETS: undefined }, async () => {
      process.env.KOKPIT_BIN_DIR = tmp;
      let built = false;
      await assert.rejects(
        resolveBinaries(
          [
            { component: 'etcd', version: 'v3.5.35' },
            { component: 'kube-apiserver', version: 'v1.33.13' },
          ],
          { env: {}, hasGo: async () => false, build: async () => ((built = true), []) },
        ),
        (e: Error) => {
          assert.match(e.message, /missing binaries: etcd v3\.5\.35, kube-apiserver v1\.33\.13/);
          assert.match(e.message, /no Go toolchain/);
          assert.match(e.message, /npm run setup:bins/);
          assert.match(e.message, /KOKPIT_BIN_DIR/);
          assert.match(e.message, /KUBEBUILDER_ASSETS/);
          return true;
        },
      );
      assert.equal(built, false);
    }),
  );

  it(
    'with CI=true a missing binary is built even if Go looks absent, and a failed build fails',
    withEnv({ KOKPIT_BIN_DIR: undefined, KUBEBUILDER_ASSETS: undefined }, async () => {
      process.env.KOKPIT_BIN_DIR = tmp;
      const asked: string[] = [];
      await assert.rejects(
        resolveBinaries([{ component: 'etcd', version: 'v3.5.35' }], {
          env: { CI: 'true' },
          hasGo: async () => false,
          build: async (o) => {
            asked.push(...(o?.requests ?? []).map((r) => `${r.component} ${r.version}`));
            throw new Error('go build of etcd v3.5.35 failed (exit 1)');
          },
        }),
        /go build of etcd v3\.5\.35 failed/,
      );
      assert.deepEqual(asked, ['etcd v3.5.35']);
    }),
  );

  it(
    'with CI=true a build that reports success but leaves no binary fails too',
    withEnv({ KOKPIT_BIN_DIR: undefined, KUBEBUILDER_ASSETS: undefined }, async () => {
      process.env.KOKPIT_BIN_DIR = tmp;
      await assert.rejects(
        resolveBinaries([{ component: 'etcd', version: 'v3.5.35' }], { env: { CI: 'true' }, build: async () => [] }),
        /finished but .* is not executable/,
      );
    }),
  );

  it('names v1.32 kube-controller-manager as unbuildable instead of trying', async () => {
    await assert.rejects(
      resolveBinaries([{ component: 'kube-controller-manager', version: 'v1.32.13' }], {
        env: { CI: 'true' },
        build: async () => assert.fail('must not build'),
      }),
      /cannot be built here: .*no v0\.32\.x on the Go module proxy.*v1\.33\.13/,
    );
  });

  it(
    'a failing go build keeps the full log and shows its tail',
    withEnv({ KOKPIT_BIN_DIR: undefined, KOKPIT_LOG_DIR: undefined }, async () => {
      process.env.KOKPIT_BIN_DIR = path.join(tmp, 'bin');
      process.env.KOKPIT_LOG_DIR = path.join(tmp, 'logs');
      const fakeGo = executable(
        path.join(tmp, 'go'),
        '#!/bin/sh\nif [ "$1" = env ]; then echo go1.26.0; exit 0; fi\necho "compiling a"\n' +
          'echo "pkg/x.go:1: undefined: thing" >&2\nexit 2\n',
      );
      await assert.rejects(ensureBinaries({ components: ['etcd'], versions: ['v3.5.35'], goBinary: fakeGo }), (e: Error) => {
        assert.match(e.message, /go build of etcd v3\.5\.35 failed \(exit 2\)/);
        assert.match(e.message, /last 40 lines[\s\S]*undefined: thing/);
        return true;
      });
      assert.match(fs.readFileSync(path.join(tmp, 'logs', 'etcd-v3.5.35.log'), 'utf8'), /compiling a/);
      assert.ok(!fs.existsSync(path.join(tmp, 'bin', 'etcd', 'v3.5.35', 'etcd')), 'no half-built binary');
    }),
  );

  it(
    'a missing Go toolchain says how to get the binaries instead',
    withEnv({ KOKPIT_BIN_DIR: undefined }, async () => {
      process.env.KOKPIT_BIN_DIR = tmp;
      await assert.rejects(ensureBinaries({ components: ['etcd'], goBinary: path.join(tmp, 'no-such-go') }), (e: Error) => {
        assert.match(e.message, /Go toolchain not found/);
        assert.match(e.message, /KOKPIT_BIN_DIR=/);
        assert.match(e.message, /KUBEBUILDER_ASSETS=/);
        return true;
      });
    }),
  );
});
