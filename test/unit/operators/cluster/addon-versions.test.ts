// Addon versions side by side (pure parts): how a cluster's pin resolves among the Addons of one addon
// (existing single-version Addons unchanged), what a removed pin reports, and when a Deployment or
// DaemonSet counts as rolled out — the readiness the addons step reports on AddonsReady.
import * as assert from 'node:assert/strict';
import type { Addon } from '../../../../src/api';
import {
  addonNameOf,
  firstUnavailable,
  resolveAddonVersion,
  workloadWaiting,
  type Workload,
} from '../../../../src/operators/cluster/addon-versions';
import { AddonError } from '../../../../src/operators/cluster/render/addons';
import { formatObjects } from '../../../../src/cli/commands/get';

const addon = (name: string, version: string, extra: Partial<Addon['spec']> = {}): Addon =>
  ({ apiVersion: 'kokpit.dev/v1alpha1', kind: 'Addon', metadata: { name }, spec: { version, manifests: '', ...extra } }) as Addon;
const reasonOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof AddonError, String(e));
    return `${e.reason}: ${e.message}`;
  }
  assert.fail('expected an AddonError');
};

describe('addon versions: resolving a pin', () => {
  const legacy = addon('coredns', '1.11.3');
  const v2 = addon('coredns-1.12.1', '1.12.1', { name: 'coredns' });
  const other = addon('kube-proxy', '1.0.0');

  it('an Addon without spec.name is the one version of the addon it is named after (existing Addons keep working)', () => {
    assert.equal(addonNameOf(legacy), 'coredns');
    assert.equal(addonNameOf(v2), 'coredns');
    assert.equal(resolveAddonVersion({ name: 'coredns' }, [legacy, other]), legacy);
    assert.equal(resolveAddonVersion({ name: 'coredns', version: '1.11.3' }, [legacy, other]), legacy);
  });

  it('a pin picks its version; unpinned gets the marked default, else the Addon named after the addon, else the only one', () => {
    assert.equal(resolveAddonVersion({ name: 'coredns', version: '1.12.1' }, [legacy, v2, other]), v2);
    assert.equal(resolveAddonVersion({ name: 'coredns', version: '1.11.3' }, [legacy, v2, other]), legacy);
    assert.equal(resolveAddonVersion({ name: 'coredns' }, [legacy, v2]), legacy, 'no marker: the Addon named coredns');
    const marked = addon('coredns-1.12.1', '1.12.1', { name: 'coredns', default: true });
    assert.equal(resolveAddonVersion({ name: 'coredns' }, [legacy, marked]), marked, 'the marker wins');
    assert.equal(resolveAddonVersion({ name: 'coredns' }, [v2]), v2, 'the only version');
  });

  it('a pinned version not in the catalog is AddonVersionNotFound naming the versions there are', () => {
    const m = reasonOf(() => resolveAddonVersion({ name: 'coredns', version: '1.10.0' }, [legacy, v2]));
    assert.match(m, /^AddonVersionNotFound: addon coredns: pinned version 1\.10\.0 is not in the catalog \(there: 1\.11\.3, 1\.12\.1\)/);
    assert.match(
      reasonOf(() => resolveAddonVersion({ name: 'cilium' }, [legacy])),
      /^AddonNotFound: /,
    );
  });

  it('ambiguity is refused, never guessed: two defaults, two Addons of one version, several versions and no default', () => {
    const d1 = addon('coredns-a', '1.0.0', { name: 'coredns', default: true });
    const d2 = addon('coredns-b', '2.0.0', { name: 'coredns', default: true });
    assert.match(
      reasonOf(() => resolveAddonVersion({ name: 'coredns' }, [d1, d2])),
      /^AddonVersionAmbiguous: .*2 versions are marked default/,
    );
    const twin = addon('coredns-twin', '1.12.1', { name: 'coredns' });
    assert.match(
      reasonOf(() => resolveAddonVersion({ name: 'coredns', version: '1.12.1' }, [v2, twin])),
      /^AddonVersionAmbiguous: /,
    );
    const v3 = addon('coredns-1.13.0', '1.13.0', { name: 'coredns' });
    assert.match(
      reasonOf(() => resolveAddonVersion({ name: 'coredns' }, [v2, v3])),
      /^AddonVersionAmbiguous: .*no default version/,
    );
  });
});

describe('addon readiness from workload status', () => {
  const deploy = (generation: number, replicas: number, status: Workload['status']): Workload => ({
    kind: 'Deployment',
    metadata: { name: 'coredns', namespace: 'kube-system', generation },
    spec: { replicas },
    status,
  });
  const ds = (generation: number, status: Workload['status']): Workload => ({
    kind: 'DaemonSet',
    metadata: { name: 'kube-proxy', namespace: 'kube-system', generation },
    status,
  });

  it('a Deployment is rolled out only with the current generation observed and every replica updated and available', () => {
    assert.equal(workloadWaiting(undefined), 'its creation');
    assert.equal(workloadWaiting(deploy(2, 2, {})), 'its controller to observe the current generation');
    assert.equal(
      workloadWaiting(deploy(2, 2, { observedGeneration: 1, updatedReplicas: 2, replicas: 2, availableReplicas: 2 })),
      'its controller to observe the current generation',
    );
    assert.equal(
      workloadWaiting(deploy(2, 2, { observedGeneration: 2, updatedReplicas: 1, replicas: 3, availableReplicas: 2 })),
      '1 of 2 replicas updated',
    );
    assert.equal(
      workloadWaiting(deploy(2, 2, { observedGeneration: 2, updatedReplicas: 2, replicas: 3, availableReplicas: 2 })),
      '1 old replicas to terminate',
    );
    assert.equal(
      workloadWaiting(deploy(2, 2, { observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 1 })),
      '1 of 2 replicas available',
    );
    assert.equal(
      workloadWaiting(deploy(2, 2, { observedGeneration: 2, updatedReplicas: 2, replicas: 2, availableReplicas: 2 })),
      undefined,
    );
    assert.equal(workloadWaiting(deploy(1, 0, { observedGeneration: 1 })), undefined, 'scaled to zero is rolled out');
  });

  it('a DaemonSet is rolled out only when every scheduled pod is updated and available (numberUnavailable 0)', () => {
    assert.equal(
      workloadWaiting(ds(1, { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 2, numberAvailable: 3 })),
      '2 of 3 pods updated',
    );
    assert.equal(
      workloadWaiting(
        ds(1, { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2, numberUnavailable: 1 }),
      ),
      '2 of 3 pods available',
    );
    assert.equal(
      workloadWaiting(
        ds(1, { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3, numberUnavailable: 1 }),
      ),
      '3 of 3 pods available',
      'an unavailable pod counts even when the available count looks complete',
    );
    assert.equal(
      workloadWaiting(ds(1, { observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 })),
      undefined,
    );
    assert.equal(workloadWaiting(ds(1, { observedGeneration: 1, desiredNumberScheduled: 0 })), undefined, 'no nodes: nothing to wait for');
  });

  it('the message names the first workload not rolled out and what it waits for', () => {
    const ok = deploy(1, 1, { observedGeneration: 1, updatedReplicas: 1, replicas: 1, availableReplicas: 1 });
    const waiting = ds(1, {
      observedGeneration: 1,
      desiredNumberScheduled: 2,
      updatedNumberScheduled: 2,
      numberAvailable: 0,
      numberUnavailable: 2,
    });
    assert.equal(firstUnavailable([{ ref: ok, live: ok }]), undefined);
    assert.equal(
      firstUnavailable([
        { ref: ok, live: ok },
        { ref: waiting, live: waiting },
      ]),
      'DaemonSet kube-system/kube-proxy waits for 0 of 2 pods available',
    );
    assert.equal(firstUnavailable([{ ref: ok, live: undefined }]), 'Deployment kube-system/coredns waits for its creation');
  });
});

describe('kokpit get addons -o wide: versions side by side', () => {
  it('shows which addon each Addon is a version of, and the default', () => {
    const rows = formatObjects(
      'addons',
      [addon('coredns', '1.11.3'), addon('coredns-1.12.1', '1.12.1', { name: 'coredns', default: true })] as never[],
      'wide',
    ).split('\n');
    assert.match(rows[0], /^NAME\s+VERSION\s+AGE\s+ADDON\s+DEFAULT\s+DESCRIPTION$/);
    assert.match(rows[1], /^coredns\s+1\.11\.3\s+\S+\s+coredns\s+-\s/);
    assert.match(rows[2], /^coredns-1\.12\.1\s+1\.12\.1\s+\S+\s+coredns\s+yes\s/);
  });
});
