// Component ordering (dependsOn), the errors a bad graph gives, and the Component Valid condition.
import * as assert from 'node:assert/strict';
import type { ComponentSpec } from '../../../../src/api';
import { componentValidity } from '../../../../src/operators/machine/component-reconciler';
import { findCycleThrough, planComponents } from '../../../../src/operators/machine/components';

const comp = (version: string, dependsOn?: string[], providers?: ComponentSpec['providers']): ComponentSpec =>
  ({
    version,
    ...(dependsOn ? { dependsOn } : {}),
    ...(providers ? { providers } : {}),
    steps: { install: { script: 'true', timeoutSeconds: 300 } },
  }) as ComponentSpec;

const catalogue = new Map<string, ComponentSpec>([
  ['containerd', comp('1.7.0')],
  ['kubelet', comp('v1.33.13', ['containerd', 'cni'])],
  ['cni', comp('1.4.0', ['containerd'])],
  ['node-exporter', comp('1.8.0')],
]);

describe('machine operator: components', () => {
  it('orders components after their dependencies, keeping the listed order among equals', () => {
    const plan = planComponents(
      [{ name: 'kubelet' }, { name: 'node-exporter' }, { name: 'cni' }, { name: 'containerd' }],
      catalogue,
      'kwok',
    );
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.components.map((c) => c.name),
      ['node-exporter', 'containerd', 'cni', 'kubelet'],
    );
  });

  it('takes the machine version over the Component default', () => {
    const plan = planComponents([{ name: 'containerd', version: '1.7.9' }, { name: 'node-exporter' }], catalogue, 'kwok');
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.components.map((c) => [c.name, c.version]),
      [
        ['containerd', '1.7.9'],
        ['node-exporter', '1.8.0'],
      ],
    );
  });

  it('reports a cycle as terminal, naming it', () => {
    const cyclic = new Map([...catalogue, ['a', comp('1', ['b'])], ['b', comp('1', ['c'])], ['c', comp('1', ['a'])]]);
    const plan = planComponents([{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'containerd' }], cyclic, 'kwok');
    assert.ok(!plan.ok);
    assert.equal(plan.terminal, true);
    assert.equal(plan.reason, 'DependencyCycle');
    assert.match(plan.message, /a -> b -> c -> a/);
  });

  it('reports a dependency the machine does not run as terminal', () => {
    const plan = planComponents([{ name: 'kubelet' }, { name: 'containerd' }], catalogue, 'kwok');
    assert.ok(!plan.ok);
    assert.equal(plan.terminal, true);
    assert.equal(plan.reason, 'DependencyNotListed');
    assert.match(plan.message, /kubelet depends on cni/);
  });

  it('waits (not terminal) for a Component that does not exist yet', () => {
    const plan = planComponents([{ name: 'gpu-driver' }], catalogue, 'kwok');
    assert.ok(!plan.ok);
    assert.equal(plan.terminal, false);
    assert.equal(plan.reason, 'ComponentNotFound');
  });

  it('refuses a component that does not support the provider', () => {
    const plan = planComponents([{ name: 'x' }], new Map([['x', comp('1', undefined, ['kind'])]]), 'kwok');
    assert.ok(!plan.ok);
    assert.equal(plan.reason, 'ProviderNotSupported');
  });

  it('an empty component list is a valid, empty plan', () => {
    assert.deepEqual(planComponents(undefined, catalogue, 'kwok'), { ok: true, components: [] });
  });

  it('Component validity: cycle, missing dependency, fine', () => {
    const defs = new Map([...catalogue, ['a', comp('1', ['b'])], ['b', comp('1', ['a'])], ['d', comp('1', ['nope'])]]);
    assert.equal(findCycleThrough('a', defs), 'a -> b -> a');
    assert.equal(findCycleThrough('kubelet', defs), undefined);
    assert.equal(componentValidity('a', defs).reason, 'DependencyCycle');
    assert.equal(componentValidity('d', defs).reason, 'DependencyNotFound');
    assert.deepEqual(componentValidity('kubelet', defs), { type: 'Valid', status: 'True', reason: 'DependenciesResolved' });
  });
});
