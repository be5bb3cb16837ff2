// The kubelet's container-log reading on the pod runner's log files: a run's byte range of the shared file, tailLines,
// limitBytes, timestamps and since from the run's clock, follow until the run ends, and the query as the kubelet parses it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContainerLogRun, rfc3339Nano, writeLog, type LogQuery } from '../../../src/podrunner/container-logs';
import { parseLogQuery } from '../../../src/podrunner/kubelet-server';

/** Reads a run into a string, as the endpoint would write it. */
async function read(run: ContainerLogRun, q: Partial<LogQuery> = {}): Promise<string> {
  const chunks: Buffer[] = [];
  const out = { write: (b: Buffer) => chunks.push(b) > 0, once: () => undefined };
  await writeLog(run, { follow: false, timestamps: false, ...q }, out, () => false);
  return Buffer.concat(chunks).toString('utf8');
}

describe('pod runner: container logs as the kubelet serves them', () => {
  let dir: string;
  let file: string;
  const runs: ContainerLogRun[] = [];
  const newRun = () => {
    const r = new ContainerLogRun(file, fs.existsSync(file) ? fs.statSync(file).size : 0);
    runs.push(r);
    return r;
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kokpit-container-logs-'));
    file = path.join(dir, 'main.log');
  });
  afterEach(() => {
    for (const r of runs.splice(0)) if (r.running) r.finish();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a run reads only its own bytes of the shared file; tailLines and limitBytes within it; an unfinished last line too', async () => {
    const first = newRun();
    fs.writeFileSync(file, 'a1\na2\n');
    first.finish();
    const second = newRun();
    fs.appendFileSync(file, 'b1\nb2\nb3');
    assert.equal(await read(first), 'a1\na2\n');
    assert.equal(await read(second), 'b1\nb2\nb3');
    assert.equal(await read(second, { tailLines: 2 }), 'b2\nb3');
    assert.equal(await read(second, { tailLines: 10 }), 'b1\nb2\nb3', 'never reaches into the previous run');
    assert.equal(await read(second, { tailLines: 0 }), '');
    assert.equal(await read(first, { tailLines: 1 }), 'a2\n');
    assert.equal(await read(second, { limitBytes: 4 }), 'b1\nb');
    assert.equal(await read(second, { tailLines: 1, limitBytes: 100 }), 'b3');
  });

  it('timestamps from the run’s clock; since leaves out lines written before it', async () => {
    const run = newRun();
    fs.writeFileSync(file, 'old 1\nold 2\n');
    run.mark();
    const since = Date.now() + 1;
    await new Promise((r) => setTimeout(r, 5));
    fs.appendFileSync(file, 'new 1\n');
    run.mark();
    const stamped = (await read(run, { timestamps: true })).split('\n').filter(Boolean);
    assert.equal(stamped.length, 3);
    for (const l of stamped) assert.match(l, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z (old|new) \d$/);
    assert.equal(await read(run, { sinceMs: since }), 'new 1\n');
    assert.equal(rfc3339Nano(Date.parse('2026-12-06T07:30:00.120Z')), '2026-12-06T07:30:00.12Z');
    assert.equal(rfc3339Nano(Date.parse('2026-12-06T07:30:10.000Z')), '2026-12-06T07:30:10Z');
  });

  it('follow writes lines as they come and ends with the run, its unfinished last line included', async () => {
    const run = newRun();
    fs.writeFileSync(file, 'one\n');
    const chunks: string[] = [];
    const out = { write: (b: Buffer) => chunks.push(b.toString()) > 0, once: () => undefined };
    const done = writeLog(run, { follow: true, timestamps: false }, out, () => false);
    await new Promise((r) => setTimeout(r, 20));
    fs.appendFileSync(file, 'two\nthr');
    run.mark();
    for (let i = 0; i < 100 && !chunks.includes('two\n'); i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(chunks, ['one\n', 'two\n'], 'a partial line waits while the run goes on');
    fs.appendFileSync(file, 'ee');
    run.finish();
    await done;
    assert.deepEqual(chunks, ['one\n', 'two\n', 'three']);
  });

  it('the query as the kubelet parses it', () => {
    const q = parseLogQuery(new URLSearchParams('follow=true&previous=1&timestamps=True&tailLines=5&limitBytes=10&sinceSeconds=2'), 10_000);
    assert.deepEqual(q, { follow: true, previous: true, timestamps: true, tailLines: 5, limitBytes: 10, sinceMs: 8000 });
    assert.deepEqual(parseLogQuery(new URLSearchParams('')), {
      follow: false,
      previous: false,
      timestamps: false,
      tailLines: undefined,
      limitBytes: undefined,
      sinceMs: undefined,
    });
    assert.equal(parseLogQuery(new URLSearchParams('sinceTime=2026-12-06T07:30:00Z')).sinceMs, Date.parse('2026-12-06T07:30:00Z'));
    for (const bad of [
      'follow=yes',
      'tailLines=-1',
      'tailLines=x',
      'limitBytes=0',
      'sinceSeconds=0',
      'sinceSeconds=1&sinceTime=2026-12-06T07:30:00Z',
    ])
      assert.throws(() => parseLogQuery(new URLSearchParams(bad)), Error, bad);
  });
});
