import assert from 'node:assert/strict';
import type { Clock, TimerHandle } from '../../../src/extension/model/clock';
import { KeyedDebouncer } from '../../../src/extension/model/debounce';
import { isKokpitFileName, shouldAssist, shouldValidate } from '../../../src/extension/model/documents';
import { filteredLogger, type LogLevel, type Logger } from '../../../src/extension/model/logger';
import { DEFAULT_SETTINGS, readSettings } from '../../../src/extension/model/settings';
import { summarizeValidation } from '../../../src/extension/model/summary';

/** A clock whose time only moves when the test says so. */
export class FakeClock implements Clock {
  private time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  now = () => this.time;
  setTimeout = (callback: () => void, ms: number): TimerHandle => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, callback });
    return id as unknown as TimerHandle;
  };
  clearTimeout = (handle: TimerHandle): void => {
    this.timers.delete(handle as unknown as number);
  };
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = until;
  }
  get pending(): number {
    return this.timers.size;
  }
}

describe('extension model: debouncing', () => {
  it('runs once per key after the last call settles', () => {
    const clock = new FakeClock();
    const debouncer = new KeyedDebouncer(clock, 250);
    const runs: string[] = [];
    debouncer.schedule('a', () => runs.push('a1'));
    clock.advance(200);
    debouncer.schedule('a', () => runs.push('a2'));
    debouncer.schedule('b', () => runs.push('b1'));
    clock.advance(249);
    assert.deepEqual(runs, []);
    clock.advance(1);
    assert.deepEqual(runs.sort(), ['a2', 'b1']);
    assert.equal(debouncer.size, 0);
  });

  it('cancels one key, and every key on dispose', () => {
    const clock = new FakeClock();
    const debouncer = new KeyedDebouncer(clock, 100);
    const runs: string[] = [];
    debouncer.schedule('a', () => runs.push('a'));
    debouncer.schedule('b', () => runs.push('b'));
    debouncer.cancel('a');
    clock.advance(100);
    assert.deepEqual(runs, ['b']);
    debouncer.schedule('c', () => runs.push('c'));
    debouncer.dispose();
    clock.advance(1000);
    assert.deepEqual(runs, ['b']);
    assert.equal(clock.pending, 0);
  });
});

describe('extension model: which documents', () => {
  it('validates YAML that mentions kokpit.dev/ or kind.x-k8s.io/', () => {
    assert.equal(shouldValidate('yaml', 'apiVersion: kokpit.dev/v1alpha1\n'), true);
    assert.equal(shouldValidate('yaml', 'apiVersion: kind.x-k8s.io/v1alpha4\nkind: Cluster\n'), true);
    assert.equal(shouldValidate('yaml', 'apiVersion: apps/v1\nkind: Deployment\n'), false);
    assert.equal(shouldValidate('json', '{"apiVersion": "kokpit.dev/v1alpha1"}'), false);
  });

  it('knows the file names the schema is bound to', () => {
    for (const p of [
      '/w/kokpit.yaml',
      'kokpit.yaml',
      '/w/dev.kokpit.yaml',
      '/w/kokpit/clusters/a.yaml',
      '/w/kokpit/a.yaml',
      'C:\\w\\kokpit\\a.yaml',
    ])
      assert.equal(isKokpitFileName(p), true, p);
    for (const p of ['/w/notkokpit.yaml', '/w/kokpit.json', '/w/mykokpit/a.yaml', '/w/kokpit-x.yaml', '/w/a.yaml'])
      assert.equal(isKokpitFileName(p), false, p);
  });

  it('assists in kokpit-named YAML files before they mention the API', () => {
    assert.equal(shouldAssist('yaml', '', '/w/kokpit.yaml'), true);
    assert.equal(shouldAssist('yaml', '', '/w/other.yaml'), false);
    assert.equal(shouldAssist('plaintext', '', '/w/kokpit.yaml'), false);
  });
});

describe('extension model: settings', () => {
  it('reads every key under the kokpit section', () => {
    const values: Record<string, unknown> = {
      kindPath: '/opt/kind ',
      dockerPath: 'podman',
      kubeconfig: '~/.kube/meta',
      'reconcilers.autoStart': false,
      logLevel: 'debug',
      'notifications.enabled': false,
    };
    assert.deepEqual(
      readSettings((k) => values[k]),
      {
        kindPath: '/opt/kind',
        dockerPath: 'podman',
        kubeconfig: '~/.kube/meta',
        reconcilersAutoStart: false,
        logLevel: 'debug',
        notificationsEnabled: false,
      },
    );
  });

  it('falls back to defaults for missing, blank or mistyped values', () => {
    assert.deepEqual(
      readSettings(() => undefined),
      DEFAULT_SETTINGS,
    );
    const wrong: Record<string, unknown> = {
      kindPath: '  ',
      dockerPath: 3,
      'reconcilers.autoStart': 'yes',
      logLevel: 'verbose',
      'notifications.enabled': 'no',
    };
    assert.deepEqual(
      readSettings((k) => wrong[k]),
      DEFAULT_SETTINGS,
    );
  });
});

describe('extension model: logger', () => {
  it('drops messages below the current minimum, read on every call', () => {
    const seen: string[] = [];
    const rec =
      (level: string) =>
      (m: string | Error): void => {
        seen.push(`${level}:${m instanceof Error ? m.message : m}`);
      };
    const sink: Logger = { trace: rec('trace'), debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
    let minimum: LogLevel = 'info';
    const log = filteredLogger(sink, () => minimum);
    log.debug('hidden');
    log.info('shown');
    log.error(new Error('boom'));
    minimum = 'trace';
    log.trace('now shown');
    assert.deepEqual(seen, ['info:shown', 'error:boom', 'trace:now shown']);
  });
});

describe('extension model: validation summary', () => {
  it('counts problems across files', () => {
    const s = summarizeValidation([
      { errors: 2, warnings: 0 },
      { errors: 0, warnings: 1 },
      { errors: 0, warnings: 0 },
    ]);
    assert.deepEqual(
      { files: s.files, filesWithProblems: s.filesWithProblems, errors: s.errors, warnings: s.warnings },
      { files: 3, filesWithProblems: 2, errors: 2, warnings: 1 },
    );
    assert.equal(s.text, '2 errors and 1 warning in 2 files of 3 manifest files');
    assert.equal(summarizeValidation([{ errors: 0, warnings: 0 }]).text, '1 manifest file valid');
    assert.equal(summarizeValidation([]).text, 'no kokpit manifests found in the workspace');
  });
});
