// The hosted agent's own identity in a cluster imported by `kokpit register`, as pure parts: a ServiceAccount bound to
// the same OCM agent roles a BusinessCluster's agent gets (names of its own), everything owned by one anchor, a Role
// that lets it renew only its own token, and when a token is due for renewal.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { readManagedRBAC } from '../../../../src/operators/multicluster/hub';
import { renderAgentRBAC, type RBACObject } from '../../../../src/operators/multicluster/render/credential';
import {
  IMPORTED_AGENT_NAMESPACE,
  IMPORTED_TOKEN_SECONDS,
  importedAgentUser,
  renderImportedAnchor,
  renderImportedIdentity,
  tokenRenewalReason,
  tokenTimes,
} from '../../../../src/operators/multicluster/render/imported-identity';

const ROOT = path.resolve(__dirname, '../../../..');
type Binding = RBACObject & { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace?: string }[] };

/** An unsigned JWT with these claims (only the payload is read). */
const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('multicluster: the agent identity of an imported cluster (ServiceAccount + TokenRequest)', () => {
  const files = readManagedRBAC(ROOT);
  const objects = renderImportedIdentity(files, 'edge-1', 'uid-1');

  it("binds OCM's agent roles, the ones a BusinessCluster's agent gets, to the ServiceAccount and nothing else", () => {
    const sa = { kind: 'ServiceAccount', name: 'kokpit-ocm-edge-1', namespace: IMPORTED_AGENT_NAMESPACE };
    const bindings = objects.filter((o): o is Binding => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding');
    for (const b of bindings) assert.deepEqual(b.subjects, [sa], b.metadata.name);
    assert.equal(importedAgentUser('edge-1'), 'system:serviceaccount:open-cluster-management-agent:kokpit-ocm-edge-1');
    // Same roles as a BusinessCluster's agent, under the import's own names (a cluster may also be a BusinessCluster elsewhere).
    const business = renderAgentRBAC(files, 'fleet-a').map(
      (o) => `${o.kind} ${o.metadata.name.replace(':kokpit-', ':kokpit-import-edge-1-')}`,
    );
    const imported = objects.filter((o) => o.kind.startsWith('Cluster')).map((o) => `${o.kind} ${o.metadata.name}`);
    assert.deepEqual(imported, business);
    const refs = bindings.filter((b) => b.kind === 'ClusterRoleBinding').map((b) => b.roleRef.name);
    assert.ok(refs.includes('admin'), refs.join(', '));
  });

  it('may renew only its own token; everything is owned by the anchor, labelled with the import', () => {
    const role = objects.find((o) => o.kind === 'Role') as RBACObject & { rules: unknown[] };
    assert.deepEqual(role.rules, [
      { apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: ['kokpit-ocm-edge-1'], verbs: ['create'] },
    ]);
    for (const o of objects) {
      assert.deepEqual(
        o.metadata.ownerReferences,
        [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'kokpit:ocm-import:edge-1', uid: 'uid-1' }],
        `${o.kind} ${o.metadata.name}`,
      );
      assert.equal(o.metadata.labels?.['kokpit.dev/imported'], 'edge-1');
    }
    assert.equal(renderImportedAnchor('edge-1').metadata.name, 'kokpit:ocm-import:edge-1');
    assert.equal('rules' in renderImportedAnchor('edge-1'), false, 'no rules: the anchor grants nothing');
  });

  it('a token is renewed with a third of its life left, or when it is not a ServiceAccount token', () => {
    const iat = 1_800_000_000;
    const token = jwt({ iat, exp: iat + IMPORTED_TOKEN_SECONDS, sub: 'x' });
    assert.deepEqual(tokenTimes(token), { iat, exp: iat + IMPORTED_TOKEN_SECONDS });
    const at = (days: number) => new Date((iat + days * 24 * 3600) * 1000);
    assert.equal(tokenRenewalReason(token, at(0)), undefined);
    assert.equal(tokenRenewalReason(token, at(4.6)), undefined);
    assert.equal(tokenRenewalReason(token, at(5)), 'expires in 48 h');
    assert.equal(tokenRenewalReason(token, at(8)), 'expired');
    assert.equal(tokenRenewalReason(undefined, at(0)), 'no token');
    assert.equal(tokenRenewalReason('not-a-jwt', at(0)), 'not a ServiceAccount token');
  });
});
