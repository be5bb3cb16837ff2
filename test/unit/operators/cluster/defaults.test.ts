// A BusinessCluster's defaults come from the schema only: the optional sections carry `default: {}` in the
// TypeBox source, so the generated CRD (the apiserver) and withDefaults (kokpit) both fill the fields inside
// them; the renderers read the defaulted spec, and no copy of a default value is kept in code.
// (test/integration/cluster/render-parity.test.ts shows a real apiserver defaults a spec exactly as withDefaults.)
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { withDefaults, type BusinessCluster } from '../../../../src/api';

const ROOT = path.resolve(__dirname, '../../../..');
const crdSpec = () => {
  const crd = parse(fs.readFileSync(path.join(ROOT, 'config/crd/kokpit.dev_businessclusters.yaml'), 'utf8'));
  return crd.spec.versions[0].schema.openAPIV3Schema.properties.spec;
};

function sourcesBelow(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourcesBelow(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('BusinessCluster defaults come from the schema only', () => {
  it('the CRD carries `default: {}` on every section whose fields have defaults', () => {
    const spec = crdSpec();
    for (const section of ['apiServer', 'controllerManager', 'scheduler', 'network'])
      assert.deepEqual(spec.properties[section].default, {}, `spec.${section}`);
    assert.deepEqual(spec.properties.apiServer.properties.service.default, {}, 'spec.apiServer.service');
  });

  it('withDefaults fills every section of a minimal spec, nested fields included', () => {
    const c = withDefaults({
      apiVersion: 'kokpit.dev/v1alpha1',
      kind: 'BusinessCluster',
      metadata: { name: 'm' },
      spec: { version: 'v1.33.13', etcd: { managed: {} } },
    } as BusinessCluster);
    assert.deepEqual(c.spec, {
      version: 'v1.33.13',
      etcd: { managed: { replicas: 1 } },
      apiServer: { replicas: 1, service: { type: 'Auto' } },
      controllerManager: { replicas: 1 },
      scheduler: { replicas: 1 },
      network: { serviceCIDR: '10.96.0.0/12', podCIDR: '10.244.0.0/16', dnsDomain: 'cluster.local' },
      paused: false,
    });
    // A section given in part keeps its own values and gets the rest.
    const partial = withDefaults({
      ...c,
      spec: { version: 'v1.33.13', etcd: { managed: {} }, apiServer: { certSANs: ['a.example'] }, network: { podCIDR: '10.200.0.0/16' } },
    } as BusinessCluster);
    assert.deepEqual(partial.spec.apiServer, { certSANs: ['a.example'], replicas: 1, service: { type: 'Auto' } });
    assert.deepEqual(partial.spec.network, { serviceCIDR: '10.96.0.0/12', podCIDR: '10.200.0.0/16', dnsDomain: 'cluster.local' });
  });

  it('no code keeps a copy: specOf is gone from src, and the operators and local runtimes write no address default of the schema', () => {
    const addresses: string[] = Object.values(crdSpec().properties.network.properties as Record<string, { default?: unknown }>)
      .map((p) => p.default)
      .filter((d): d is string => typeof d === 'string' && /^[0-9a-f.:]+\/\d+$/.test(d));
    assert.deepEqual(addresses.sort(), ['10.244.0.0/16', '10.96.0.0/12'], 'the CIDR defaults this check looks for');
    const offenders: string[] = [];
    for (const file of sourcesBelow(path.join(ROOT, 'src')).filter((f) => !f.startsWith(path.join(ROOT, 'src', 'api') + path.sep))) {
      const text = fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l))
        .join('\n'); // examples in comments are fine
      if (/\bspecOf\b/.test(text)) offenders.push(`${path.relative(ROOT, file)}: specOf`);
      // Validation messages quote the same ranges as examples; what renders or reconciles a spec must not.
      const renders = ['operators', 'local'].some((d) => file.startsWith(path.join(ROOT, 'src', d) + path.sep));
      for (const a of addresses) if (renders && text.includes(`'${a}'`)) offenders.push(`${path.relative(ROOT, file)}: '${a}'`);
    }
    assert.deepEqual(offenders, []);
  });
});
