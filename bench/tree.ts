// Fleet model for 1,000 business clusters (each with a 3-member etcd and 3 machines): build time,
// first-two-levels render time, time to apply one status change, heap used. Baseline: a plain
// JSON clone of the same objects (the floor of touching every object once).
import { FleetModel } from '../src/fleet/model';
import { businessCluster, etcdCluster, machine } from '../test/support/objects';

export async function run(): Promise<Record<string, unknown>> {
  const clusters = 1000;
  const objects = [];
  for (let i = 0; i < clusters; i++) {
    const name = `bc-${String(i).padStart(4, '0')}`;
    objects.push(etcdCluster(`${name}-etcd`), businessCluster(name));
    for (let j = 0; j < 3; j++) objects.push(machine(`${name}-m${j}`, name));
  }
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  let t = performance.now();
  const floor = JSON.parse(JSON.stringify(objects));
  const floorMs = performance.now() - t;

  t = performance.now();
  const model = new FleetModel('bench');
  for (const o of objects) model.upsert(o);
  const buildMs = performance.now() - t;

  t = performance.now();
  let rendered = 0;
  for (const group of model.children(model.rootId)) rendered += 1 + model.children(group.id).length;
  const renderMs = performance.now() - t;

  const changeTimes: number[] = [];
  for (let k = 0; k < 50; k++) {
    const bc = businessCluster(`bc-${String((k * 37) % clusters).padStart(4, '0')}`, 'default', k % 2 ? 'Running' : 'Upgrading');
    t = performance.now();
    model.upsert(bc);
    changeTimes.push(performance.now() - t);
  }
  changeTimes.sort((a, b) => a - b);
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  return {
    clusters,
    nodes: model.size,
    build_ms: +buildMs.toFixed(1),
    render_two_levels_ms: +renderMs.toFixed(2),
    rendered_nodes: rendered,
    change_p50_ms: +changeTimes[25].toFixed(3),
    change_max_ms: +changeTimes[changeTimes.length - 1].toFixed(3),
    heap_used_mb: +heapMb.toFixed(1),
    baseline_json_clone_ms: +floorMs.toFixed(1),
    build_vs_clone_ratio: +(buildMs / floorMs).toFixed(2),
    floor_objects: floor.length,
  };
}
