// FleetConnection and Open Cluster Management: OCM's kinds are watched only when the meta cluster serves them;
// a discovery that fails is a warning and a tree without OCM, never a failed connection.
import assert from 'node:assert/strict';
import type { KubernetesObject } from '@kubernetes/client-node';
import { FLEET_KINDS, FleetConnection, OCM_FLEET_STREAMS, type ObjectStream } from '../../../src/extension/model/fleet-connection';
import { systemClock } from '../../../src/extension/model/clock';
import type { Logger } from '../../../src/extension/model/logger';

const quiet: ObjectStream = { onEvent: () => undefined, start: async () => undefined, stop: async () => undefined };

async function connect(ocmServed?: () => Promise<boolean>) {
  const warnings: string[] = [];
  const logger: Logger = { trace: () => {}, debug: () => {}, info: () => {}, warn: (m) => void warnings.push(m), error: () => {} };
  const watched: string[] = [];
  const streams = new Map<string, (o: KubernetesObject) => void>();
  const c = new FleetConnection({
    name: 'meta',
    clock: systemClock,
    logger,
    ocmServed,
    streams: (k) => {
      watched.push(k.kind);
      return { ...quiet, onEvent: (h) => void streams.set(k.kind, (o) => h(o, 'add')) };
    },
  });
  await c.start();
  await c.stop();
  return { c, watched, warnings, groups: c.model.children(c.model.rootId).map((n) => n.label) };
}

describe('extension: FleetConnection watches OCM kinds only when they are served', () => {
  it('no ocmServed (a runtime without it): kokpit kinds only', async () => {
    const r = await connect();
    assert.deepEqual(
      r.watched,
      FLEET_KINDS.map((k) => k.kind),
    );
    assert.ok(!r.groups.includes('Placements'));
  });
  it('served: the four OCM kinds too, and the Placements group', async () => {
    const r = await connect(async () => true);
    assert.deepEqual(
      r.watched,
      [...FLEET_KINDS, ...OCM_FLEET_STREAMS].map((k) => k.kind),
    );
    assert.deepEqual(OCM_FLEET_STREAMS.map((k) => k.kind).sort(), ['ManagedCluster', 'ManifestWork', 'Placement', 'PlacementDecision']);
    assert.ok(r.groups.includes('Placements'));
  });
  it('not served: kokpit kinds only; a failed discovery is a warning, and the connection still starts', async () => {
    assert.deepEqual(
      (await connect(async () => false)).watched,
      FLEET_KINDS.map((k) => k.kind),
    );
    const r = await connect(async () => {
      throw new Error('HTTP 403: forbidden');
    });
    assert.deepEqual(
      r.watched,
      FLEET_KINDS.map((k) => k.kind),
    );
    assert.deepEqual(r.warnings, ['fleet: cannot tell whether Open Cluster Management is installed: HTTP 403: forbidden']);
  });
});
