// The hosted agent checks the business apiserver as often as it renews its lease, at most every 30 s
// (--cluster-healthcheck-period):
// OCM's default check is 1 min whatever the lease, so a short lease alone would not make a stopped apiserver seen
// sooner (test/integration/multicluster/loss.test.ts measures it on real processes).
import * as assert from 'node:assert/strict';
import { renderAgent } from '../../../../src/operators/multicluster/render/agent';

const period = (args: string[] | undefined) => args?.filter((a) => a.startsWith('--cluster-healthcheck-period='));

describe('multicluster: the hosted agent health-checks the business apiserver every lease period', () => {
  it('--cluster-healthcheck-period is the lease duration, once, and at most 30 s (the default 60 s lease: 30 s)', () => {
    assert.deepEqual(period(renderAgent('fleet-a', 'h', 15).spec!.template.spec!.containers[0].args), ['--cluster-healthcheck-period=15s']);
    assert.deepEqual(period(renderAgent('fleet-a', 'h').spec!.template.spec!.containers[0].args), ['--cluster-healthcheck-period=30s']);
  });
  it("client-go's HTTP/2 connection health check is shortened (10 s idle, 5 s ping) so a hung apiserver fails the check soon", () => {
    const env = renderAgent('fleet-a', 'h', 15).spec!.template.spec!.containers[0].env;
    assert.deepEqual(env, [
      { name: 'HTTP2_READ_IDLE_TIMEOUT_SECONDS', value: '10' },
      { name: 'HTTP2_PING_TIMEOUT_SECONDS', value: '5' },
    ]);
  });
  it('a changed lease rolls the agent (its args are in the pod template)', () => {
    const a = renderAgent('fleet-a', 'h', 15).spec!.template;
    const b = renderAgent('fleet-a', 'h', 30).spec!.template;
    assert.notDeepEqual(a, b);
  });
});
