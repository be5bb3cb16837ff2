import assert from 'node:assert/strict';
import type { BusinessCluster } from '../../../src/api';
import { ApiRateSampler, apiRequestsTotal } from '../../../src/fleet/api-rate';
import { DashboardModel, diffRow, ratePerSecond } from '../../../src/fleet/dashboard';
import { businessCluster } from '../../support/objects';

const METRICS = `# HELP apiserver_request_total [STABLE] Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",group="",resource="pods",verb="LIST",version="v1"} 40
apiserver_request_total{code="201",component="apiserver",group="",resource="pods",verb="POST",version="v1"} 2
apiserver_request_total_other 99
apiserver_request_duration_seconds_count{verb="LIST"} 7
`;

describe('API request rate (dashboard sparkline)', () => {
  it('sums apiserver_request_total over every label set, and says when /metrics has none', () => {
    assert.equal(apiRequestsTotal(METRICS), 42);
    assert.throws(() => apiRequestsTotal('process_cpu_seconds_total 1\n'), /\/metrics has no apiserver_request_total/);
  });

  it('is the increase per second between two reads; a counter that went down restarted', () => {
    assert.equal(ratePerSecond(undefined, [1000, 5]), undefined, 'one read is no rate');
    assert.equal(ratePerSecond([0, 100], [10_000, 150]), 5);
    assert.equal(ratePerSecond([0, 100], [10_000, 30]), 3, 'after a restart the new value is the increase');
    assert.equal(ratePerSecond([5000, 1], [5000, 9]), undefined, 'no time passed');
  });

  it('a row gets its rate from the second read, a sparkline, and the reason when a read fails', () => {
    let t = 1_000_000;
    const m = new DashboardModel(() => t);
    m.upsert(businessCluster('alpha'));
    assert.deepEqual(m.recordApiRequests('default/alpha', t, 1000), ['default/alpha']);
    const first = m.row('default/alpha')!;
    assert.equal(first.apiRate, undefined);
    assert.equal(first.apiSpark, '');
    t += 30_000;
    m.recordApiRequests('default/alpha', t, 1600);
    const second = m.row('default/alpha')!;
    assert.equal(second.apiRate, 20);
    assert.match(second.apiSpark, /^[\d.]+,[\d.]+ /);
    assert.deepEqual(Object.keys((diffRow(second.id, first, second) as { set: object }).set).sort(), ['apiRate', 'apiSpark']);
    t += 30_000;
    m.recordApiRequests('default/alpha', t, new Error('GET /metrics: HTTP 403'));
    assert.equal(m.row('default/alpha')!.apiError, 'GET /metrics: HTTP 403');
    t += 30_000;
    m.recordApiRequests('default/alpha', t, 5000);
    assert.equal(m.row('default/alpha')!.apiError, undefined, 'a good read clears the error');
    assert.equal(m.row('default/alpha')!.apiRate, 20, 'the read after an error starts a new pair: no rate across the gap');
    assert.deepEqual(m.recordApiRequests('default/ghost', t, 1), [], 'a cluster not in the fleet makes no row');
  });

  it('forgets a removed cluster, so a cluster of the same name starts without its history', () => {
    let t = 0;
    const m = new DashboardModel(() => t);
    m.upsert(businessCluster('alpha'));
    m.recordApiRequests('default/alpha', t, 10);
    t += 10_000;
    m.recordApiRequests('default/alpha', t, 20);
    m.remove({ kind: 'BusinessCluster', namespace: 'default', name: 'alpha' });
    m.upsert(businessCluster('alpha'));
    assert.equal(m.row('default/alpha')!.apiRate, undefined);
    assert.equal(m.row('default/alpha')!.apiSpark, '');
  });

  it('the sampler reads only the shown clusters, a few at a time, reports errors as errors, and stops', async () => {
    const clusters = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => ({ id: `default/${n}`, bc: businessCluster(n) as BusinessCluster }));
    let inFlight = 0;
    let maxInFlight = 0;
    const read: string[] = [];
    const got: Array<[string, number | string]> = [];
    const sampler = new ApiRateSampler({
      clusters: () => clusters.slice(0, 5),
      read: async (bc) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        read.push(bc.metadata.name);
        if (bc.metadata.name === 'c') throw new Error('connect ECONNREFUSED 127.0.0.1:1');
        return 7;
      },
      onSample: (id, _t, total) => got.push([id, total instanceof Error ? total.message : total]),
      concurrency: 2,
      intervalMs: 60_000,
    });
    sampler.start();
    await new Promise((r) => setTimeout(r, 200));
    sampler.stop();
    assert.deepEqual(read.sort(), ['a', 'b', 'c', 'd', 'e'], 'f is not shown: never read; one round in 200 ms');
    assert.equal(maxInFlight, 2);
    assert.deepEqual(got.sort(), [
      ['default/a', 7],
      ['default/b', 7],
      ['default/c', 'connect ECONNREFUSED 127.0.0.1:1'],
      ['default/d', 7],
      ['default/e', 7],
    ]);
  });
});
