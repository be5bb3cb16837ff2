// The Fleet dashboard page's User Timing marks, which bench/dashboard-code-server.ts reads from the webview: the real
// media/dashboard.js run in a vm with real rows (DashboardFeed) and its messages, against a stand-in DOM (every property
// another stand-in, calls logged) and hand-driven frames and tasks, so "a frame later" is checked, not assumed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { DashboardFeed, DashboardModel } from '../../../src/fleet/dashboard';
import { businessCluster } from '../../support/objects';

type Listener = (ev: { data: unknown }) => void;

function loadPage() {
  /** Marks made and DOM calls, in order. */
  const timeline: string[] = [];
  let marks: { name: string; detail: Record<string, unknown> }[] = [];
  const frames: (() => void)[] = [];
  const tasks: { f: () => void; ms?: number }[] = [];
  const stand = (name: string): unknown =>
    new Proxy(function () {}, {
      get: (_t, k) =>
        k === Symbol.iterator
          ? () => [][Symbol.iterator]()
          : k === Symbol.toPrimitive
            ? () => 0
            : k === 'then'
              ? undefined
              : stand(String(k)),
      apply: () => (timeline.push(`call ${name}`), stand(`${name}()`)),
      set: () => true,
    });
  const listeners: Record<string, Listener> = {};
  const window = { scrollY: 0, innerHeight: 900, addEventListener: (type: string, l: Listener) => (listeners[type] = l) };
  const performance = {
    mark: (name: string, o: { detail: Record<string, unknown> }) => (timeline.push(`mark ${name}`), marks.push({ name, detail: o.detail })),
    clearMarks: (name: string) => (marks = marks.filter((m) => m.name !== name)),
  };
  const vscode = { getState: () => undefined, setState: () => undefined, postMessage: () => undefined };
  vm.runInNewContext(readFileSync('media/dashboard.js', 'utf8'), {
    window,
    document: stand('document'),
    performance,
    acquireVsCodeApi: () => vscode,
    requestAnimationFrame: (f: () => void) => frames.push(f),
    setTimeout: (f: () => void, ms?: number) => tasks.push({ f, ms }),
    clearTimeout: () => undefined,
  });
  return {
    timeline,
    /** The details of the marks `name` still there, as plain objects (the page's are of the vm's realm). */
    marks: (name: string) => JSON.parse(JSON.stringify(marks.filter((m) => m.name === name).map((m) => m.detail))) as unknown[],
    post: (data: unknown) => listeners.message({ data }),
    /** Runs the frame's rAF callbacks, or then also the tasks they queued (not the page's 300 ms 'visible' timer). */
    frame(andTask = true) {
      for (const f of frames.splice(0)) f();
      if (andTask) for (let i = tasks.findIndex((t) => !t.ms); i >= 0; i = tasks.findIndex((t) => !t.ms)) tasks.splice(i, 1)[0].f();
    },
  };
}

function fleet() {
  const model = new DashboardModel(() => 1_000_000_000);
  for (const n of ['a', 'b', 'c']) model.upsert(businessCluster(n));
  const feed = new DashboardFeed(model);
  const rows = feed.full();
  const update = (n: string) => ({ type: 'update', updates: feed.updates(model.upsert(businessCluster(n, 'default', 'Degraded'))) });
  return { rows, update };
}

describe('Fleet dashboard page: User Timing marks for the bench', () => {
  it('marks the first snapshot on arrival and its table rendered a frame (rAF and a task) later, only once', () => {
    const page = loadPage();
    const f = fleet();
    page.post({ type: 'rows', rows: f.rows });
    assert.deepEqual(page.marks('kokpit:snapshot-received'), [{ rows: 3 }]);
    const received = page.timeline.indexOf('mark kokpit:snapshot-received');
    assert.ok(page.timeline.indexOf('call replaceChildren', received) > received, 'the rows go into the table after the mark');
    page.frame(false);
    assert.deepEqual(page.marks('kokpit:first-render'), [], 'not before the task after the frame');
    page.frame();
    assert.deepEqual(page.marks('kokpit:first-render'), [{ rows: 3 }]);
    page.post({ type: 'rows', rows: f.rows.slice(1) });
    page.frame();
    assert.equal(page.marks('kokpit:snapshot-received').length + page.marks('kokpit:first-render').length, 2, 'a later snapshot: no marks');
  });

  it('keeps the marks of the latest update only, its rendered mark a frame later and naming the same update', () => {
    const page = loadPage();
    const f = fleet();
    page.post({ type: 'rows', rows: f.rows });
    page.frame();
    page.post(f.update('a'));
    page.post(f.update('b'));
    assert.deepEqual(page.marks('kokpit:update-received'), [{ seq: 2, ids: ['default/b'] }]);
    assert.deepEqual(page.marks('kokpit:update-rendered'), []);
    page.frame();
    assert.deepEqual(page.marks('kokpit:update-rendered'), [{ seq: 2, ids: ['default/b'] }], 'none for the update replaced in that frame');
    page.post(f.update('c'));
    assert.deepEqual(page.marks('kokpit:update-rendered'), [], "the older update's rendered mark is cleared");
    page.frame();
    assert.deepEqual(page.marks('kokpit:update-received'), [{ seq: 3, ids: ['default/c'] }]);
    assert.deepEqual(page.marks('kokpit:update-rendered'), [{ seq: 3, ids: ['default/c'] }]);
  });

  it('makes exactly the marks the code-server bench reads', () => {
    const names = (file: string) => new Set([...readFileSync(file, 'utf8').matchAll(/'(kokpit:[a-z-]+)'/g)].map((m) => m[1]));
    const page = names('media/dashboard.js');
    assert.deepEqual([...names('bench/dashboard-code-server.ts')].sort(), [...page].sort());
    assert.equal(page.size, 4);
  });
});
