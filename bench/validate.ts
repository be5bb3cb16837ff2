// Validation of a generated 1,000-document file (every kind, 10 % invalid, one known fault each) by kokpit's
// engine and, in the same run, by the npm yaml-language-server driven headless in-process with the same
// generated schemas (schemas/kokpit.json plus the kind cluster schema). Times are medians of warm runs.
// A "true finding" is a diagnostic on the faulty line of an invalid document; findings in valid documents
// are false positives.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getLanguageService } from 'yaml-language-server/lib/umd/languageservice/yamlLanguageService';
import { KIND_API_VERSION, KIND_CLUSTER_SCHEMA, KIND_KIND, validateText } from '../src/validation';

const DOCS = 1000;
const RUNS = 5;

type Lines = string[];
const HEAD = ['apiVersion: kokpit.dev/v1alpha1'];

/** One valid document per kind; `n` keeps names unique. */
const TEMPLATES: Array<(n: string) => Lines> = [
  (n) => [
    ...HEAD,
    'kind: EtcdCluster',
    'metadata:',
    `  name: etcd-${n}`,
    'spec:',
    '  replicas: 3',
    '  version: 3.5.35',
    '  storage:',
    '    size: 8Gi',
    '  backup:',
    '    schedule: "0 */6 * * *"',
    '    retain: 7',
  ],
  (n) => [
    ...HEAD,
    'kind: EtcdBackup',
    'metadata:',
    `  name: backup-${n}`,
    'spec:',
    '  etcdClusterRef:',
    `    name: etcd-${n}`,
    '  destination:',
    '    type: Local',
  ],
  (n) => [
    ...HEAD,
    'kind: BusinessCluster',
    'metadata:',
    `  name: bc-${n}`,
    'spec:',
    '  version: v1.32.13',
    '  etcd:',
    '    managed:',
    '      replicas: 3',
    '  apiServer:',
    '    replicas: 2',
    '    service:',
    '      type: NodePort',
    '      nodePort: 30443',
    '    extraArgs:',
    '      v: "2"',
    '  network:',
    '    serviceCIDR: 10.96.0.0/12',
    '    podCIDR: 10.244.0.0/16',
    '  addons:',
    '    - name: coredns',
  ],
  (n) => [
    ...HEAD,
    'kind: KubernetesVersion',
    'metadata:',
    `  name: v1.40.${n}`,
    'spec:',
    `  version: v1.40.${n}`,
    '  state: Supported',
    '  images:',
    '    kubeAPIServer: k/a',
    '    kubeControllerManager: k/b',
    '    kubeScheduler: k/c',
    '    kubeProxy: k/d',
    '    coreDNS: k/e',
    '    pause: k/f',
    '  etcd:',
    '    minVersion: 3.5.11',
    '    recommendedVersion: 3.5.35',
  ],
  (n) => [
    ...HEAD,
    'kind: Addon',
    'metadata:',
    `  name: addon-${n}`,
    'spec:',
    '  version: 1.0.0',
    '  parameters:',
    '    - name: replicas',
    '      type: integer',
    '      default: 1',
    '  manifests: |',
    '    kind: ConfigMap',
  ],
  (n) => [
    ...HEAD,
    'kind: Component',
    'metadata:',
    `  name: comp-${n}`,
    'spec:',
    '  version: 1.0.0',
    '  providers: [kind, kwok]',
    '  steps:',
    '    install:',
    '      script: install {{ .version }}',
    '      timeoutSeconds: 60',
  ],
  (n) => [
    ...HEAD,
    'kind: Machine',
    'metadata:',
    `  name: machine-${n}`,
    'spec:',
    `  clusterRef:`,
    `    name: bc-${n}`,
    '  provider: kwok',
    '  role: worker',
    '  taints:',
    '    - key: gpu',
    '      effect: NoSchedule',
  ],
  (n) => [
    ...HEAD,
    'kind: MachineSet',
    'metadata:',
    `  name: ms-${n}`,
    'spec:',
    '  clusterRef:',
    `    name: bc-${n}`,
    '  replicas: 10',
    '  template:',
    '    spec:',
    '      provider: kwok',
    '  rollout:',
    '    phases:',
    '      - percent: 10',
    '        pause: 10m',
    '      - percent: 100',
  ],
  (n) => [
    ...HEAD,
    'kind: LocalEnvironment',
    'metadata:',
    `  name: env-${n}`,
    'spec:',
    '  metaCluster:',
    '    name: kokpit',
    '    runtime: Auto',
    '  businessClusters:',
    '    - name: dev',
    '      spec:',
    '        version: v1.32.13',
    '        etcd:',
    '          managed:',
    '            replicas: 1',
  ],
  () => [
    `apiVersion: ${KIND_API_VERSION}`,
    `kind: ${KIND_KIND}`,
    'networking:',
    '  podSubnet: 10.244.0.0/16',
    '  serviceSubnet: 10.96.0.0/16',
    'nodes:',
    '  - role: control-plane',
    '  - role: worker',
  ],
];

/** A fault per template index: the 0-based line it replaces and the faulty text. Some are schema faults
 *  (types, enums, patterns, unknown fields, duplicates), some are semantic rules a JSON schema cannot express. */
const FAULTS: Array<{ template: number; line: number; text: string; kind: 'schema' | 'semantic' }> = [
  { template: 0, line: 5, text: '  replicas: 4', kind: 'schema' },
  { template: 0, line: 6, text: '  version: 3.4.0', kind: 'schema' },
  { template: 0, line: 7, text: '  storag:', kind: 'schema' },
  { template: 1, line: 8, text: '    type: S3', kind: 'schema' },
  { template: 2, line: 5, text: '  version: 1.32.13', kind: 'schema' },
  { template: 2, line: 13, text: '      nodePort: 80', kind: 'schema' },
  { template: 2, line: 10, text: '    replicas: "2"', kind: 'schema' },
  { template: 2, line: 15, text: '      --v: "2"', kind: 'semantic' },
  { template: 2, line: 18, text: '    podCIDR: 10.96.0.0/16', kind: 'semantic' },
  { template: 2, line: 3, text: '  name: Prod_Cluster', kind: 'semantic' },
  { template: 3, line: 6, text: '  state: Beta', kind: 'schema' },
  { template: 4, line: 7, text: '    - name: replica-count', kind: 'schema' },
  { template: 4, line: 9, text: '      default: two', kind: 'semantic' },
  { template: 5, line: 10, text: '      timeoutSeconds: 0', kind: 'schema' },
  { template: 6, line: 7, text: '  provider: aws', kind: 'schema' },
  { template: 6, line: 11, text: '      effect: NoScheduling', kind: 'schema' },
  { template: 7, line: 15, text: '      - percent: 150', kind: 'schema' },
  { template: 7, line: 15, text: '      - percent: 5', kind: 'semantic' },
  { template: 7, line: 14, text: '        pause: 10 minutes', kind: 'schema' },
  { template: 8, line: 7, text: '    runtime: Docker', kind: 'schema' },
  { template: 9, line: 7, text: '  - role: master', kind: 'schema' },
  { template: 9, line: 3, text: '  podSubnet: 10.96.0.0/20', kind: 'semantic' },
];

interface Corpus {
  text: string;
  /** 0-based first and last line of every document, and the faulty line of invalid ones. */
  docs: Array<{ start: number; end: number; faultLine?: number; fault?: (typeof FAULTS)[number] }>;
}

export function buildCorpus(count = DOCS): Corpus {
  const out: string[] = [];
  const docs: Corpus['docs'] = [];
  let faultIndex = 0;
  for (let i = 0; i < count; i++) {
    const template = i % TEMPLATES.length;
    const lines = TEMPLATES[template](String(i));
    let faultLine: number | undefined;
    let fault: (typeof FAULTS)[number] | undefined;
    // One document in every ten is invalid, at a position that moves per block so every kind gets faults.
    if (i % 10 === Math.floor(i / 10) % 10) {
      const candidates = FAULTS.filter((f) => f.template === template);
      if (candidates.length) {
        fault = candidates[faultIndex++ % candidates.length];
        lines[fault.line] = fault.text;
      }
    }
    if (i > 0) out.push('---');
    const start = out.length;
    if (fault) faultLine = start + fault.line;
    out.push(...lines);
    docs.push({ start, end: out.length - 1, faultLine, fault });
  }
  return { text: out.join('\n') + '\n', docs };
}

interface Finding {
  line: number;
}

function score(corpus: Corpus, findings: Finding[]) {
  const lineToDoc = new Map<number, number>();
  corpus.docs.forEach((d, i) => {
    for (let l = d.start; l <= d.end; l++) lineToDoc.set(l, i);
  });
  let truePositives = 0;
  let falsePositives = 0;
  const hitDocs = new Set<number>();
  for (const f of findings) {
    const doc = lineToDoc.get(f.line);
    if (doc === undefined) continue;
    const d = corpus.docs[doc];
    if (d.faultLine === undefined) falsePositives++;
    else if (d.faultLine === f.line && !hitDocs.has(doc)) {
      hitDocs.add(doc);
      truePositives++;
    }
  }
  const bySort = { schema: 0, semantic: 0 };
  for (const i of hitDocs) bySort[corpus.docs[i].fault!.kind]++;
  return { truePositives, falsePositives, bySort };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function yamlLanguageService() {
  const root = join(__dirname, '..');
  const schemaDir = pathToFileURL(join(root, 'schemas') + '/').toString();
  // The editor's combined schema, plus the kind cluster config kokpit also checks offline.
  const kokpit = JSON.parse(readFileSync(join(root, 'schemas', 'kokpit.json'), 'utf8'));
  kokpit.allOf.push({
    if: { properties: { apiVersion: { enum: [KIND_API_VERSION] }, kind: { enum: [KIND_KIND] } }, required: ['apiVersion', 'kind'] },
    then: KIND_CLUSTER_SCHEMA,
  });
  const ls = getLanguageService({
    schemaRequestService: async (uri: string) => readFileSync(fileURLToPath(uri), 'utf8'),
    workspaceContext: { resolveRelativePath: (relative: string, resource: string) => new URL(relative, resource).toString() },
  });
  ls.configure({
    validate: true,
    isKubernetes: false,
    schemas: [{ uri: `${schemaDir}kokpit.json`, fileMatch: ['*.yaml'], schema: kokpit }],
  });
  return ls;
}

export async function run(): Promise<Record<string, unknown>> {
  const corpus = buildCorpus();
  const invalid = corpus.docs.filter((d) => d.faultLine !== undefined).length;

  // kokpit: warm once, then the median of RUNS.
  let kokpitFindings = validateText(corpus.text);
  const kokpitTimes: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    kokpitFindings = validateText(corpus.text);
    kokpitTimes.push(performance.now() - t);
  }

  const ls = yamlLanguageService();
  const uri = 'file:///bench/fleet.yaml';
  let version = 1;
  // A fresh TextDocument per run (as an editor sends after each change); the first run also loads the schemas.
  let ylsFindings = await ls.doValidation(TextDocument.create(uri, 'yaml', version++, corpus.text), false);
  const ylsTimes: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const doc = TextDocument.create(uri, 'yaml', version++, corpus.text);
    const t = performance.now();
    ylsFindings = await ls.doValidation(doc, false);
    ylsTimes.push(performance.now() - t);
  }

  const k = score(
    corpus,
    kokpitFindings.map((d) => ({ line: d.line - 1 })),
  );
  const y = score(
    corpus,
    ylsFindings.map((d) => ({ line: d.range.start.line })),
  );
  const kokpitMs = median(kokpitTimes);
  const ylsMs = median(ylsTimes);
  return {
    docs: corpus.docs.length,
    invalid_docs: invalid,
    bytes: Buffer.byteLength(corpus.text),
    kokpit_ms: Number(kokpitMs.toFixed(1)),
    yls_ms: Number(ylsMs.toFixed(1)),
    ratio: Number((ylsMs / kokpitMs).toFixed(2)),
    kokpit_findings: kokpitFindings.length,
    yls_findings: ylsFindings.length,
    kokpit_true_findings: k.truePositives,
    yls_true_findings: y.truePositives,
    kokpit_true_schema: k.bySort.schema,
    kokpit_true_semantic: k.bySort.semantic,
    yls_true_schema: y.bySort.schema,
    yls_true_semantic: y.bySort.semantic,
    kokpit_false_positives: k.falsePositives,
    yls_false_positives: y.falsePositives,
    runs: RUNS,
  };
}
