// The shape of a finding, shared by the editor (diagnostics), the CLI (`kokpit validate`) and tests.

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  /** 1-based line of the start. */
  line: number;
  /** 1-based column of the start. */
  column: number;
  endLine: number;
  /** 1-based, exclusive. */
  endColumn: number;
  /** 0-based character offsets into the text (end exclusive). */
  offset: number;
  endOffset: number;
  severity: Severity;
  message: string;
  /** Where in the document, e.g. `spec.etcd.managed.replicas` or `spec.addons[0].name`; '' for the document itself. */
  path: string;
  /** Stable id of the rule, e.g. `unknown-field`, `enum`, `even-replicas`. */
  code: string;
  /** 0-based index of the document in a multi-document stream. */
  document: number;
  /** Machine-readable facts for a quick fix, by code: `unknown-field` {field, suggestion?}, `required` {field},
   *  `even-replicas` {value, choices (preferred first)}, `unknown-version`/`version-not-usable` {supported}. */
  data?: FindingData;
}

export interface FindingData {
  field?: string;
  suggestion?: string;
  value?: unknown;
  choices?: number[];
  supported?: string[];
}

export interface ValidateOptions {
  /** Components shipped or defined elsewhere (a Machine may name them without a warning). */
  knownComponents?: string[];
  /** Addons shipped or defined elsewhere. */
  knownAddons?: string[];
  /** The connected meta cluster's version catalog; a BusinessCluster version outside it is a warning.
   *  When absent (offline) versions are only checked for their form. */
  catalogVersions?: string[];
  /** The same catalog with each version's state (and why, when the catalog says): a version that is not
   *  Supported or Preview is a warning before a cluster is created with it. Wins over catalogVersions. */
  catalog?: CatalogEntry[];
}

export interface CatalogEntry {
  version: string;
  state?: string;
  /** Why the version has its state (the `kokpit.dev/state-reason` annotation). */
  reason?: string;
}

/** One path step: a mapping key or a sequence index. */
export type PathSegment = string | number;

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}
