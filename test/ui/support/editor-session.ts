// One editor session for a UI test file: the packaged .vsix installed into a fresh code-server (own user-data and
// extensions directories, settings pointing at a meta cluster), started on a free port, and a chromium page on its
// workbench. Everything it started is stopped by stop(); the files it wrote live under `dir`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions } from 'playwright-core';
import { freePort } from '../../../src/controlplane';
import { chromiumPath, ensureCodeServer, installExtension, startCodeServer, tail, type CodeServer } from './code-server';
import { removeUiRun, UI_OUT, VSIX } from './ui-tier';
import { Workbench } from './workbench';

export interface EditorSession {
  server: CodeServer;
  wb: Workbench;
  userDataDir: string;
  stop(): Promise<void>;
}

/** Settings every UI session shares: quiet workbench, no telemetry or update checks. */
const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
};

export async function startEditorSession(opts: {
  /** Default: the packaged dist/kokpit.vsix. */
  vsix?: string;
  dir: string;
  workspace: string;
  kubeconfigPath: string;
  settings: Record<string, unknown>;
  /** Default: UI_OUT ($KOKPIT_UI_OUT or /tmp/kokpit-ui). */
  screenshots?: string;
  log: (line: string) => void;
  /** Over the default 1400×860 viewport, e.g. a bench's own viewport or clipboard permissions. */
  browserContext?: BrowserContextOptions;
}): Promise<EditorSession> {
  const entry = ensureCodeServer(opts.log);
  const userDataDir = path.join(opts.dir, 'user-data');
  const extensionsDir = path.join(opts.dir, 'extensions');
  const configFile = path.join(opts.dir, 'code-server.yaml');
  fs.writeFileSync(configFile, 'auth: none\ncert: false\n');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ 'kokpit.kubeconfig': opts.kubeconfigPath, ...QUIET_SETTINGS, ...opts.settings }),
  );
  installExtension(entry, opts.vsix ?? VSIX, { userDataDir, extensionsDir, configFile });
  const server = await startCodeServer({
    entry,
    port: await freePort(),
    userDataDir,
    extensionsDir,
    configFile,
    workspace: opts.workspace,
    env: { ...process.env, KUBECONFIG: opts.kubeconfigPath },
    logFile: path.join(opts.dir, 'code-server.log'),
  });
  opts.log(`code-server at ${server.url}, log ${server.logFile}`);
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close().catch(() => undefined);
    await server.stop();
  };
  try {
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    });
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 860 }, ...opts.browserContext })).newPage();
    // A loaded machine (other tests, code-server's first start) can take longer than playwright's default 30 s to
    // serve the workbench page or settle a click; every wait for a condition still names its own deadline.
    page.setDefaultNavigationTimeout(120_000);
    page.setDefaultTimeout(60_000);
    const wb = new Workbench(page, opts.screenshots ?? UI_OUT);
    await wb.open(`${server.url}/?folder=${encodeURIComponent(opts.workspace)}`);
    return { server, wb, userDataDir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * For a file's afterEach: when the test just failed, a screenshot named after it and the tail of code-server's log.
 * `session` is read when called, so a `before` that failed half-way reports what it got to.
 */
export async function reportFailure(
  test: Mocha.Test | undefined,
  session: EditorSession | undefined,
  log: (line: string) => void,
): Promise<void> {
  if (test?.state !== 'failed' || !session) return;
  const file = await session.wb.screenshot(`failed-${test.title.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
  if (file) log(`screenshot of the failure: ${file}`);
  log(`code-server log tail:\n${tail(session.server.logFile)}`);
}

/**
 * A file's afterEach (reportFailure) and after: stops the session, then each of `then` in order, then removes `dir`
 * (removeUiRun). `state` is read when the hooks run, so after a `before` that failed half-way they see what it got to.
 */
export function editorSuiteHooks(
  state: () => { session?: EditorSession; then?: Array<{ stop(): Promise<unknown> } | undefined>; dir?: string },
  log: (line: string) => void,
): void {
  afterEach(async function () {
    await reportFailure(this.currentTest, state().session, log);
  });
  after(async function () {
    const { session, then = [], dir } = state();
    await session?.stop();
    for (const part of then) await part?.stop();
    removeUiRun(dir);
  });
}
