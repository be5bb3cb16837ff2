// The dashboard's "Last event" on a real kube-apiserver: ClusterEventsWatch lists and watches the BusinessClusters'
// Events of every namespace (the API server filters by involvedObject.kind, so a Pod's Event never arrives), an Event
// written later reaches the row as "reason: message", a deleted (expired) one falls back to the condition, and after
// stop() nothing more arrives.
import assert from 'node:assert/strict';
import type { CoreV1Event } from '@kubernetes/client-node';
import { ClusterEventsWatch, type ClusterEvent } from '../../../src/fleet/cluster-events';
import { DashboardModel } from '../../../src/fleet/dashboard';
import { businessCluster } from '../../support/objects';
import { waitFor } from '../../../src/controlplane/wait';
import { suiteApiServer } from './support';

describe('editor: the dashboard watches the BusinessClusters’ Events (real kube-apiserver)', function () {
  this.timeout(180_000);
  const api = suiteApiServer();

  before(async () => {
    for (const name of ['team-a', 'team-b']) await api.core.createNamespace({ body: { metadata: { name } } });
  });

  function event(namespace: string, name: string, kind: string, about: string, reason: string, at: string): Promise<CoreV1Event> {
    return api.core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { name, namespace },
        involvedObject: { apiVersion: kind === 'Pod' ? 'v1' : 'kokpit.dev/v1alpha1', kind, name: about, namespace },
        type: 'Warning',
        reason,
        message: `${reason} of ${about}`,
        source: { component: 'test' },
        firstTimestamp: new Date(at),
        lastTimestamp: new Date(at),
        count: 1,
      },
    });
  }

  it('lists and watches only BusinessCluster Events into the rows, forgets deleted ones, and stops', async () => {
    const model = new DashboardModel();
    const a = businessCluster('a', 'team-a', 'Degraded');
    a.status!.conditions![0].lastTransitionTime = '2026-01-01T00:00:00Z';
    model.upsert(a);
    model.upsert(businessCluster('b', 'team-b'));
    await event('team-a', 'a.1', 'BusinessCluster', 'a', 'EtcdUnhealthy', '2026-01-02T00:00:00Z');
    await event('team-a', 'web.1', 'Pod', 'a', 'BackOff', '2026-01-05T00:00:00Z');
    await event('team-b', 'b.1', 'BusinessCluster', 'b', 'AddonNotAvailable', '2026-01-02T00:00:00Z');

    const seen: Array<[ClusterEvent, boolean]> = [];
    const watch = new ClusterEventsWatch(api.kc, (ev, removed) => {
      seen.push([ev, removed]);
      model.recordEvent(ev, removed);
    });
    await watch.start();
    assert.deepEqual(seen.map(([e]) => e.event).sort(), ['team-a/a.1', 'team-b/b.1'], 'the list: both clusters’ Events, not the Pod’s');
    assert.equal(model.row('team-a/a')!.lastMessage, 'EtcdUnhealthy: EtcdUnhealthy of a');
    assert.equal(model.row('team-b/b')!.lastMessage, 'AddonNotAvailable: AddonNotAvailable of b');

    await event('team-a', 'a.2', 'BusinessCluster', 'a', 'UpgradeFailed', '2026-01-03T00:00:00Z');
    await event('team-a', 'web.2', 'Pod', 'a', 'Killing', '2026-01-06T00:00:00Z');
    await waitFor(
      'the new Event on the row',
      async () => model.row('team-a/a')!.lastMessage === 'UpgradeFailed: UpgradeFailed of a' || undefined,
      {
        timeoutMs: 30_000,
      },
    );
    await api.core.deleteNamespacedEvent({ namespace: 'team-a', name: 'a.2' });
    await waitFor(
      'the row back on the condition',
      async () => model.row('team-a/a')!.lastMessage === 'control plane is Degraded' || undefined,
      {
        timeoutMs: 30_000,
      },
    );
    assert.ok(
      seen.every(([e]) => !e.event.includes('web.')),
      'no Pod Event ever arrived',
    );

    await watch.stop();
    const before = seen.length;
    await event('team-b', 'b.2', 'BusinessCluster', 'b', 'Late', '2026-01-07T00:00:00Z');
    // A watch still open would deliver within milliseconds; 3 s is far beyond that on a loaded machine too.
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(seen.length, before, 'nothing arrives after stop()');
  });
});
