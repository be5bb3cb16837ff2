// Show Logs: a pod container's log streamed (Log API, follow) into a read-only virtual document that grows as
// lines arrive; closing the document aborts the request. One stream per document.
import { ApiException, CoreV1Api, Log, type KubeConfig } from '@kubernetes/client-node';
import { Writable } from 'node:stream';
import * as vscode from 'vscode';
import { logDocumentPath, logHeader, logOptions, trimLog, type PodLogTarget } from '../../fleet/inside';
import { toKubeApiError } from '../../kube/errors';

export const LOG_SCHEME = 'kokpit-log';
/** A document holds at most this much of a log (the head is dropped first). */
const MAX_CHARS = 2 * 1024 * 1024;
/** Lines arriving within this window become one document update. */
const UPDATE_MS = 200;

interface Stream {
  text: string;
  abort?: AbortController;
  timer?: NodeJS.Timeout;
}

export class PodLogDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly streams = new Map<string, Stream>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.streams.get(uri.toString())?.text ?? '# This log is no longer streaming; run "Show Logs" again.\n';
  }

  /** Starts streaming (unless this document already streams) and returns the document's URI. */
  async open(kc: KubeConfig, cluster: string, target: PodLogTarget): Promise<vscode.Uri> {
    const uri = vscode.Uri.from({ scheme: LOG_SCHEME, path: logDocumentPath(cluster, target) });
    const key = uri.toString();
    if (this.streams.has(key)) return uri;
    const s: Stream = { text: logHeader(cluster, target) };
    this.streams.set(key, s);
    const append = (chunk: string) => {
      s.text = trimLog(s.text + chunk, MAX_CHARS);
      s.timer ??= setTimeout(() => {
        s.timer = undefined;
        this.changed.fire(uri);
      }, UPDATE_MS);
    };
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        append(chunk.toString('utf8'));
        done();
      },
      final: (done) => {
        if (this.streams.get(key) === s) append('\n# (log stream ended)\n');
        done();
      },
    });
    // client-node pipes the response into `sink` without an error handler on its side: an abort (the document was
    // closed) or a dropped connection would be an uncaught error in the extension host, so it is handled here.
    sink.on('pipe', (source: NodeJS.ReadableStream) =>
      source.on('error', (e: Error) => {
        if (this.streams.get(key) === s) append(`\n# log stream failed: ${e.message}\n`);
      }),
    );
    try {
      s.abort = await new Log(kc).log(target.namespace, target.pod, target.container, sink, logOptions(target));
    } catch (e) {
      append(`# ${await logFailure(kc, target, e)}\n`);
    }
    return uri;
  }

  /** Whether a document is streaming (tests; the command reuses an open one). */
  isStreaming(uri: vscode.Uri): boolean {
    return this.streams.get(uri.toString())?.abort !== undefined;
  }

  /** The document was closed: stop its request. */
  close(uri: vscode.Uri): void {
    const s = this.streams.get(uri.toString());
    if (!s) return;
    this.streams.delete(uri.toString());
    if (s.timer) clearTimeout(s.timer);
    s.abort?.abort();
  }

  dispose(): void {
    for (const s of this.streams.values()) {
      if (s.timer) clearTimeout(s.timer);
      s.abort?.abort();
    }
    this.streams.clear();
    this.changed.dispose();
  }
}

export function registerPodLogs(context: vscode.ExtensionContext): PodLogDocuments {
  const logs = new PodLogDocuments();
  context.subscriptions.push(
    logs,
    vscode.workspace.registerTextDocumentContentProvider(LOG_SCHEME, logs),
    vscode.workspace.onDidCloseTextDocument((d) => {
      if (d.uri.scheme === LOG_SCHEME) logs.close(d.uri);
    }),
  );
  return logs;
}

/**
 * The apiserver's words for a failed log request. client-node's Log keeps the Status body only for a 500, so for
 * any other code the same request is made once more, unfollowed, through the typed client (which keeps it).
 */
async function logFailure(kc: KubeConfig, t: PodLogTarget, e: unknown): Promise<string> {
  const first = toKubeApiError(e, 'log').message;
  if (!(e instanceof ApiException) || e.body !== undefined) return first;
  try {
    const q = { namespace: t.namespace, name: t.pod, container: t.container, previous: t.previous, tailLines: 1 };
    await kc.makeApiClient(CoreV1Api).readNamespacedPodLog(q);
  } catch (again) {
    return toKubeApiError(again, 'log').message;
  }
  return first;
}
