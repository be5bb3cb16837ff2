// Version skew policy, step templates and the kwok provider's fault injection.
import * as assert from 'node:assert/strict';
import type { ComponentSpec } from '../../../../src/api';
import { checkKubeletSkew } from '../../../../src/operators/machine/skew';
import { changeStep, renderScript } from '../../../../src/operators/machine/steps';
import { planRollout, type MachineFacts } from '../../../../src/operators/machine/rollout';

describe('machine operator: version skew', () => {
  it('allows a kubelet equal to the control plane or up to three minors older', () => {
    for (const k of ['v1.33.13', 'v1.33.0', 'v1.32.13', 'v1.30.1']) assert.deepEqual(checkKubeletSkew(k, 'v1.33.13'), { ok: true }, k);
  });

  it('refuses a kubelet newer than the control plane, naming both versions', () => {
    assert.deepEqual(checkKubeletSkew('v1.34.1', 'v1.33.13'), {
      ok: false,
      reason: 'VersionSkew',
      message: 'kubelet v1.34.1 would be newer than the control plane v1.33.13; waiting for the control plane to be upgraded first',
    });
    // A newer patch of the same minor is newer too.
    assert.equal(checkKubeletSkew('v1.33.14', 'v1.33.13').ok, false);
  });

  it('refuses a kubelet more than three minors older', () => {
    const v = checkKubeletSkew('v1.29.9', 'v1.33.13');
    assert.ok(!v.ok && v.reason === 'VersionSkew');
    assert.equal(
      v.message,
      "kubelet v1.29.9 is more than 3 minor versions older than the control plane v1.33.13; upgrade the machine's kubelet component",
    );
  });

  it('waits when the control plane reports no version; machines without a semver kubelet are exempt', () => {
    const v = checkKubeletSkew('v1.33.13', undefined);
    assert.ok(!v.ok && v.reason === 'ControlPlaneVersionUnknown');
    assert.deepEqual(checkKubeletSkew(undefined, undefined), { ok: true });
    assert.deepEqual(checkKubeletSkew('kwok', 'v1.33.13'), { ok: true });
  });
});

describe('machine operator: step scripts', () => {
  const params = { version: '1.7.9', machine: { name: 'w1', role: 'worker' }, cluster: { name: 'prod', version: 'v1.33.13' } };
  it('replaces version, machine and cluster parameters', () => {
    assert.deepEqual(
      renderScript(
        'install {{ .version }} on {{.machine.name}} ({{ .machine.role }}) for {{ .cluster.name }}@{{ .cluster.version }}',
        params,
      ),
      {
        ok: true,
        script: 'install 1.7.9 on w1 (worker) for prod@v1.33.13',
      },
    );
  });

  it('an unknown parameter is an error, not an empty string', () => {
    assert.deepEqual(renderScript('x {{ .machine.zone }} {{ .foo }}', params), {
      ok: false,
      message: 'unknown template parameter {{ .machine.zone }}, {{ .foo }}',
    });
  });

  it('picks install for a new component, upgrade (else install) for another version, nothing for the same', () => {
    const spec: ComponentSpec = {
      version: '1',
      steps: { install: { script: 'i', timeoutSeconds: 60 }, upgrade: { script: 'u', timeoutSeconds: 30 } },
    };
    assert.deepEqual(changeStep(spec, undefined, '1'), { step: 'install', script: 'i', timeoutSeconds: 60 });
    assert.deepEqual(changeStep(spec, '1', '2'), { step: 'upgrade', script: 'u', timeoutSeconds: 30 });
    assert.equal(changeStep(spec, '2', '2'), undefined);
    assert.deepEqual(changeStep({ ...spec, steps: { install: spec.steps.install } }, '1', '2'), {
      step: 'install',
      script: 'i',
      timeoutSeconds: 60,
    });
  });
});

describe('machine operator: failed machines in a set', () => {
  const m = (index: number, hash: string, ready = true, failed = false): MachineFacts => ({
    name: `set-${index}`,
    index,
    hash,
    ready,
    failed,
    ...(failed ? { message: 'RepairLimitReached: agent unhealthy' } : {}),
  });
  const now = new Date('2026-01-01T00:00:00Z');
  it('outside a rollout a Failed machine is replaced', () => {
    const p = planRollout({ replicas: 3 }, 'h', [m(0, 'h'), m(1, 'h', false, true), m(2, 'h')], {}, now);
    assert.deepEqual(p.replace, ['set-1']);
  });

  it('during a rollout a Failed updated machine stops the phase and is kept, with its reason in the report', () => {
    const p = planRollout(
      { replicas: 4, rollout: { maxUnavailable: 1, phases: [{ percent: 25 }, { percent: 100 }] } },
      'new',
      [m(0, 'new'), m(1, 'new', false, true), m(2, 'old'), m(3, 'old')],
      {},
      now,
    );
    assert.equal(p.healthGateFailed, true);
    assert.deepEqual(p.replace, []);
    assert.deepEqual(p.update, []);
    assert.match(p.message, /^phase 1 stopped: its health gate failed \(machine set-1 Failed: RepairLimitReached: agent unhealthy\)/);
  });
});
