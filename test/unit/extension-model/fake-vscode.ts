// A small stand-in for the `vscode` module: just the API surface src/extension uses, recording what the
// extension registers so tests can drive it (open/change/close documents, run commands, call providers).
// Not a VS Code emulator: the code-server UI tier covers the real thing.
import Module from 'node:module';
import { join } from 'node:path';

type Listener<T> = (value: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  event = (listener: Listener<T>) => {
    this.listeners.push(listener);
    return { dispose: () => void (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
  dispose(): void {
    this.listeners = [];
  }
  get listenerCount(): number {
    return this.listeners.length;
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}
export class Range {
  constructor(
    readonly start: Position,
    readonly end: Position,
  ) {}
}
export class Diagnostic {
  source?: string;
  code?: string | number;
  constructor(
    readonly range: Range,
    readonly message: string,
    readonly severity: number,
  ) {}
}
export const DiagnosticSeverity = { Error: 0, Warning: 1, Information: 2, Hint: 3 } as const;
export const CompletionItemKind = { Property: 9, Value: 11, Snippet: 14 } as const;
export class CompletionItem {
  insertText?: string | SnippetString;
  detail?: string;
  documentation?: MarkdownString;
  sortText?: string;
  range?: Range;
  constructor(
    readonly label: string,
    readonly kind: number,
  ) {}
}
export class SnippetString {
  constructor(readonly value: string) {}
}
export class MarkdownString {
  constructor(readonly value: string) {}
}
export class CodeLens {
  constructor(
    readonly range: Range,
    readonly command?: { title: string; command: string; arguments?: unknown[]; tooltip?: string },
  ) {}
}
export const CodeActionKind = { QuickFix: 'quickfix' } as const;
/** Records its edits: `replace` (plain text) and `set` (SnippetTextEdits) by URI string. */
export class WorkspaceEdit {
  readonly edits: { uri: string; range: Range; newText?: string; snippet?: string }[] = [];
  replace(uri: Uri, range: Range, newText: string): void {
    this.edits.push({ uri: uri.toString(), range, newText });
  }
  set(uri: Uri, edits: SnippetTextEdit[]): void {
    for (const e of edits) this.edits.push({ uri: uri.toString(), range: e.range, snippet: e.snippet.value });
  }
}
export class SnippetTextEdit {
  keepWhitespace?: boolean;
  constructor(
    readonly range: Range,
    readonly snippet: SnippetString,
  ) {}
}
export class CodeAction {
  diagnostics?: Diagnostic[];
  isPreferred?: boolean;
  edit?: WorkspaceEdit;
  constructor(
    readonly title: string,
    readonly kind: string,
  ) {}
}
export class Hover {
  constructor(
    readonly contents: MarkdownString,
    readonly range?: Range,
  ) {}
}
export const TreeItemCollapsibleState = { None: 0, Collapsed: 1, Expanded: 2 } as const;
export class TreeItem {
  id?: string;
  description?: string;
  tooltip?: MarkdownString;
  contextValue?: string;
  iconPath?: ThemeIcon;
  command?: unknown;
  constructor(
    readonly label: string,
    readonly collapsibleState: number,
  ) {}
}
export class ThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}
export class ThemeColor {
  constructor(readonly id: string) {}
}
export const ProgressLocation = { SourceControl: 1, Window: 10, Notification: 15 } as const;
export const StatusBarAlignment = { Left: 1, Right: 2 } as const;
export const ViewColumn = { Active: -1, Beside: -2, One: 1 } as const;
export const FileType = { Unknown: 0, File: 1, Directory: 2, SymbolicLink: 64 } as const;

export class FakeTerminal {
  shown = false;
  disposed = false;
  constructor(readonly creationOptions: { name?: string; env?: Record<string, string> }) {}
  get name(): string | undefined {
    return this.creationOptions.name;
  }
  show(): void {
    this.shown = true;
  }
  dispose(): void {
    this.disposed = true;
    state.onCloseTerminal.fire(this);
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
  ) {}
  static file(path: string): Uri {
    return new Uri('file', path);
  }
  static from(parts: { scheme: string; path: string }): Uri {
    return new Uri(parts.scheme, parts.path);
  }
  static parse(text: string): Uri {
    const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(text);
    if (!m) throw new Error(`fake Uri.parse: ${text}`);
    return new Uri(m[1], m[2]);
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return `${this.scheme}://${this.path}`;
  }
}

export class FakeTextDocument {
  isClosed = false;
  constructor(
    readonly uri: Uri,
    readonly languageId: string,
    private text: string,
  ) {}
  getText(): string {
    return this.text;
  }
  setText(text: string): void {
    this.text = text;
  }
  positionAt(offset: number): Position {
    const before = this.text.slice(0, Math.max(0, Math.min(offset, this.text.length)));
    const lines = before.split('\n');
    return new Position(lines.length - 1, lines[lines.length - 1].length);
  }
  offsetAt(position: Position): number {
    const lines = this.text.split('\n');
    let offset = 0;
    for (let i = 0; i < position.line; i++) offset += lines[i].length + 1;
    return offset + position.character;
  }
  lineAt(line: number): { text: string } {
    return { text: this.text.split('\n')[line] ?? '' };
  }
  getWordRangeAtPosition(position: Position, regex: RegExp): Range | undefined {
    const line = this.lineAt(position.line).text;
    for (const m of line.matchAll(new RegExp(regex.source, 'g'))) {
      const start = m.index ?? 0;
      if (start <= position.character && position.character <= start + m[0].length)
        return new Range(new Position(position.line, start), new Position(position.line, start + m[0].length));
    }
    return undefined;
  }
}

class FakeDiagnosticCollection {
  readonly entries = new Map<string, Diagnostic[]>();
  disposed = false;
  constructor(readonly name: string) {}
  set(uri: Uri, diagnostics: readonly Diagnostic[]): void {
    this.entries.set(uri.toString(), [...diagnostics]);
  }
  get(uri: Uri): Diagnostic[] | undefined {
    return this.entries.get(uri.toString());
  }
  delete(uri: Uri): void {
    this.entries.delete(uri.toString());
  }
  dispose(): void {
    this.disposed = true;
    this.entries.clear();
  }
}

export interface LoggedLine {
  level: string;
  message: string;
}

/** Everything the extension did to the fake, reset between tests. */
export class FakeState {
  commands = new Map<string, (...args: unknown[]) => unknown>();
  executed: { id: string; args: unknown[] }[] = [];
  messages: { level: 'info' | 'warning' | 'error'; text: string; items: string[] }[] = [];
  /** Answer to the next warning/info message's buttons. */
  messageAnswer: string | undefined;
  logs: LoggedLine[] = [];
  shownOutput = 0;
  collections: FakeDiagnosticCollection[] = [];
  completionProviders: { selector: unknown; provider: any; triggers: string[] }[] = [];
  hoverProviders: { selector: unknown; provider: any }[] = [];
  codeLensProviders: { selector: unknown; provider: any }[] = [];
  codeActionProviders: { selector: unknown; provider: any; metadata: unknown }[] = [];
  treeViews: { id: string; options: any; disposed: boolean; message?: string; collapse(element: unknown): void }[] = [];
  statusBarItems: { id: string; text: string; tooltip?: string; command?: string; shown: boolean; disposed: boolean }[] = [];
  contentProviders = new Map<string, any>();
  contextKeys = new Map<string, unknown>();
  clipboard = '';
  /** Label the next quick pick answers with (undefined: dismissed). */
  quickPickAnswer: string | undefined;
  /** Answers for successive quick picks (taken first; then quickPickAnswer). */
  quickPickAnswers: (string | undefined)[] = [];
  quickPicks: { items: string[]; descriptions: (string | undefined)[]; title?: string }[] = [];
  /** Answers for successive input boxes; when none is left, the box is accepted with its proposed value. */
  inputBoxAnswers: (string | undefined)[] = [];
  inputBoxes: { title?: string; value?: string; validation?: string }[] = [];
  progress: { title: string; messages: string[] }[] = [];
  /** Cancel every progress notification this many ms after it starts (undefined: never). */
  cancelProgressAfterMs: number | undefined;
  shownDocuments: FakeTextDocument[] = [];
  /** Snippet bodies inserted into editors. */
  snippets: string[] = [];
  globalState = new Map<string, unknown>();
  documents: FakeTextDocument[] = [];
  /** Files on "disk" for findFiles/fs.readFile. */
  files = new Map<string, string>();
  /** Paths of `files` that fs.stat reports as neither file nor directory (a FIFO, a device). */
  specialFiles = new Set<string>();
  settings: Record<string, unknown> = {};
  /** The editor the user is in (undefined: none). */
  activeTextEditor: { document: FakeTextDocument } | undefined;
  terminals: FakeTerminal[] = [];
  readonly onCloseTerminal = new EventEmitter<FakeTerminal>();
  readonly onOpen = new EventEmitter<FakeTextDocument>();
  readonly onSave = new EventEmitter<FakeTextDocument>();
  readonly onChange = new EventEmitter<{ document: FakeTextDocument; contentChanges: unknown[] }>();
  readonly onClose = new EventEmitter<FakeTextDocument>();
  readonly onConfig = new EventEmitter<{ affectsConfiguration(section: string): boolean }>();
}

let state = new FakeState();
export const fake = {
  get state(): FakeState {
    return state;
  },
  reset(): FakeState {
    state = new FakeState();
    return state;
  },
  openDocument(path: string, text: string, languageId = 'yaml'): FakeTextDocument {
    const doc = new FakeTextDocument(Uri.file(path), languageId, text);
    state.documents.push(doc);
    state.onOpen.fire(doc);
    return doc;
  },
  changeDocument(doc: FakeTextDocument, text: string): void {
    doc.setText(text);
    state.onChange.fire({ document: doc, contentChanges: [{ text }] });
  },
  closeDocument(doc: FakeTextDocument): void {
    doc.isClosed = true;
    state.documents = state.documents.filter((d) => d !== doc);
    state.onClose.fire(doc);
  },
  diagnostics(uri: Uri): Diagnostic[] | undefined {
    return state.collections[0]?.get(uri);
  },
};

const outputChannel = (name: string) => {
  const log = (level: string) => (message: string | Error) =>
    state.logs.push({ level, message: message instanceof Error ? message.message : message });
  return {
    name,
    trace: log('trace'),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    show: () => void state.shownOutput++,
    dispose: () => undefined,
  };
};

const message =
  (level: 'info' | 'warning' | 'error') =>
  async (text: string, ...items: string[]) => {
    state.messages.push({ level, text, items });
    return items.includes(state.messageAnswer ?? '\u0000') ? state.messageAnswer : undefined;
  };

export const vscodeApi = {
  EventEmitter,
  Position,
  Range,
  Diagnostic,
  DiagnosticSeverity,
  CompletionItem,
  CompletionItemKind,
  SnippetString,
  MarkdownString,
  Hover,
  CodeLens,
  CodeAction,
  CodeActionKind,
  WorkspaceEdit,
  SnippetTextEdit,
  TreeItem,
  TreeItemCollapsibleState,
  ThemeIcon,
  ThemeColor,
  ProgressLocation,
  StatusBarAlignment,
  Uri,
  ViewColumn,
  FileType,
  env: {
    clipboard: {
      writeText: async (text: string) => void (state.clipboard = text),
      readText: async () => state.clipboard,
    },
  },
  window: {
    get activeTextEditor() {
      return state.activeTextEditor;
    },
    createTerminal: (options: { name?: string; env?: Record<string, string> }) => {
      const terminal = new FakeTerminal(options);
      state.terminals.push(terminal);
      return terminal;
    },
    onDidCloseTerminal: (l: Listener<FakeTerminal>) => state.onCloseTerminal.event(l),
    createStatusBarItem: (id: string) => {
      const item = {
        id,
        text: '',
        shown: false,
        disposed: false,
        show: () => void (item.shown = true),
        hide: () => void (item.shown = false),
        dispose: () => void (item.disposed = true),
      } as FakeState['statusBarItems'][number] & { show(): void; hide(): void; dispose(): void };
      state.statusBarItems.push(item);
      return item;
    },
    showQuickPick: async (
      items: { label: string; description?: string }[] | Promise<{ label: string; description?: string }[]>,
      options?: { title?: string },
    ) => {
      const list = await items;
      state.quickPicks.push({ items: list.map((i) => i.label), descriptions: list.map((i) => i.description), title: options?.title });
      const answer = state.quickPickAnswers.length ? state.quickPickAnswers.shift() : state.quickPickAnswer;
      return list.find((i) => i.label === answer);
    },
    showInputBox: async (options: {
      title?: string;
      value?: string;
      validateInput?: (v: string) => string | undefined | Promise<string | undefined>;
    }) => {
      const answer = state.inputBoxAnswers.length ? state.inputBoxAnswers.shift() : options.value;
      const validation = answer === undefined ? undefined : ((await options.validateInput?.(answer)) ?? undefined);
      state.inputBoxes.push({ title: options.title, value: options.value, validation });
      // VS Code does not accept an input that fails validation; the user would have to cancel.
      return validation ? undefined : answer;
    },
    showTextDocument: async (doc: FakeTextDocument) => {
      state.shownDocuments.push(doc);
      return { document: doc, insertSnippet: async (snippet: SnippetString) => (state.snippets.push(snippet.value), true) };
    },
    createOutputChannel: (name: string) => outputChannel(name),
    showInformationMessage: message('info'),
    showWarningMessage: message('warning'),
    showErrorMessage: message('error'),
    withProgress: async (options: { title: string }, task: (progress: unknown, token: unknown) => Promise<unknown>) => {
      const record = { title: options.title, messages: [] as string[] };
      state.progress.push(record);
      const cancelled = new EventEmitter<void>();
      const token = { isCancellationRequested: false, onCancellationRequested: cancelled.event };
      const timer =
        state.cancelProgressAfterMs === undefined
          ? undefined
          : setTimeout(() => {
              token.isCancellationRequested = true;
              cancelled.fire();
            }, state.cancelProgressAfterMs);
      try {
        return await task({ report: (p: { message?: string }) => void (p.message && record.messages.push(p.message)) }, token);
      } finally {
        if (timer) clearTimeout(timer);
      }
    },
    createTreeView: (id: string, options: unknown) => {
      // A test collapses a node with `view.collapse(element)`, as the user would.
      const collapsed = new EventEmitter<{ element: unknown }>();
      const view: FakeState['treeViews'][number] & { dispose(): void; onDidCollapseElement: unknown } = {
        id,
        options,
        disposed: false,
        dispose: () => void (view.disposed = true),
        collapse: (element) => collapsed.fire({ element }),
        onDidCollapseElement: (l: Listener<{ element: unknown }>) => collapsed.event(l),
      };
      state.treeViews.push(view);
      return view;
    },
  },
  workspace: {
    registerTextDocumentContentProvider: (scheme: string, provider: unknown) => {
      state.contentProviders.set(scheme, provider);
      return { dispose: () => void state.contentProviders.delete(scheme) };
    },
    openTextDocument: async (uri: Uri | { language?: string; content?: string }) => {
      if (!(uri instanceof Uri)) {
        const untitled = new FakeTextDocument(
          Uri.from({ scheme: 'untitled', path: `Untitled-${state.documents.length + 1}` }),
          uri.language ?? 'plaintext',
          uri.content ?? '',
        );
        state.documents.push(untitled);
        state.onOpen.fire(untitled);
        return untitled;
      }
      const provider = state.contentProviders.get(uri.scheme);
      if (!provider) throw new Error(`no content provider for ${uri.scheme}`);
      const doc = new FakeTextDocument(uri, 'plaintext', await provider.provideTextDocumentContent(uri));
      state.documents.push(doc);
      state.onOpen.fire(doc);
      return doc;
    },
    asRelativePath: (uri: Uri | string) => (typeof uri === 'string' ? uri : uri.path).replace(/^\/w\//, ''),
    getConfiguration: (section: string) => ({ get: (key: string) => state.settings[`${section}.${key}`] }),
    onDidChangeConfiguration: (l: Listener<any>) => state.onConfig.event(l),
    onDidOpenTextDocument: (l: Listener<any>) => state.onOpen.event(l),
    onDidSaveTextDocument: (l: Listener<any>) => state.onSave.event(l),
    onDidChangeTextDocument: (l: Listener<any>) => state.onChange.event(l),
    onDidCloseTextDocument: (l: Listener<any>) => state.onClose.event(l),
    get textDocuments() {
      return state.documents;
    },
    findFiles: async (include: string) => {
      if (include !== '**/*.{yaml,yml}') throw new Error(`fake findFiles only knows the YAML glob, got ${include}`);
      return [...state.files.keys()].filter((p) => /\.ya?ml$/.test(p) && !p.includes('/node_modules/')).map((p) => Uri.file(p));
    },
    fs: {
      stat: async (uri: Uri) => {
        const text = state.files.get(uri.path);
        if (text === undefined) throw new Error(`ENOENT ${uri.path}`);
        return {
          type: state.specialFiles.has(uri.path) ? FileType.Unknown : FileType.File,
          size: Buffer.byteLength(text),
          ctime: 0,
          mtime: 0,
        };
      },
      readFile: async (uri: Uri) => {
        const text = state.files.get(uri.path);
        if (text === undefined) throw new Error(`ENOENT ${uri.path}`);
        return new TextEncoder().encode(text);
      },
    },
  },
  languages: {
    setTextDocumentLanguage: async (doc: FakeTextDocument, languageId: string) => {
      (doc as { languageId: string }).languageId = languageId;
      return doc;
    },
    createDiagnosticCollection: (name: string) => {
      const c = new FakeDiagnosticCollection(name);
      state.collections.push(c);
      return c;
    },
    registerCompletionItemProvider: (selector: unknown, provider: unknown, ...triggers: string[]) => {
      state.completionProviders.push({ selector, provider, triggers });
      return { dispose: () => undefined };
    },
    registerHoverProvider: (selector: unknown, provider: unknown) => {
      state.hoverProviders.push({ selector, provider });
      return { dispose: () => undefined };
    },
    registerCodeLensProvider: (selector: unknown, provider: unknown) => {
      state.codeLensProviders.push({ selector, provider });
      return { dispose: () => undefined };
    },
    registerCodeActionsProvider: (selector: unknown, provider: unknown, metadata: unknown) => {
      state.codeActionProviders.push({ selector, provider, metadata });
      return { dispose: () => undefined };
    },
  },
  commands: {
    registerCommand: (id: string, fn: (...args: unknown[]) => unknown) => {
      if (state.commands.has(id)) throw new Error(`command '${id}' already exists`);
      state.commands.set(id, fn);
      return { dispose: () => void state.commands.delete(id) };
    },
    executeCommand: async (id: string, ...args: unknown[]) => {
      if (id === 'setContext') {
        state.contextKeys.set(String(args[0]), args[1]);
        return undefined;
      }
      state.executed.push({ id, args });
      return state.commands.get(id)?.(...args);
    },
  },
};

/** Makes `require('vscode')` return the fake, for code loaded after this call. */
export function installFakeVscode(): void {
  const id = join(__dirname, '__fake_vscode__.js');
  const M = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string; _cache: Record<string, unknown> };
  const original = M._resolveFilename;
  if ((original as { fakeVscode?: boolean }).fakeVscode) return;
  const patched = function (this: unknown, request: string, ...rest: unknown[]) {
    return request === 'vscode' ? id : original.call(this, request, ...rest);
  };
  (patched as { fakeVscode?: boolean }).fakeVscode = true;
  M._resolveFilename = patched;
  M._cache[id] = { id, filename: id, loaded: true, exports: vscodeApi, children: [], paths: [] };
}

/** An ExtensionContext with what the extension uses. */
export function fakeContext(): {
  subscriptions: { dispose(): unknown }[];
  globalState: { get(key: string): unknown; update(key: string, value: unknown): Promise<void> };
  extensionPath: string;
  globalStorageUri: Uri;
} {
  return {
    subscriptions: [],
    extensionPath: join(__dirname, '..', '..', '..'),
    globalStorageUri: Uri.file(join(require('node:os').tmpdir(), 'kokpit-fake-global-storage')),
    globalState: {
      get: (key) => state.globalState.get(key),
      update: async (key, value) => void (value === undefined ? state.globalState.delete(key) : state.globalState.set(key, value)),
    },
  };
}
