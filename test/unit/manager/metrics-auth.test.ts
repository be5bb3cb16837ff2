// The /metrics guard's verdicts and its cache, over scripted reviews (the real TokenReview/SubjectAccessReview
// path runs in test/integration/manager/rbac.test.ts).
import * as assert from 'node:assert/strict';
import { metricsAuthorizer } from '../../../src/manager/metrics-auth';

function scripted(users: Record<string, { name: string; reader: boolean }>) {
  const calls = { authenticate: 0, authorize: 0 };
  let down = false;
  const reviews = {
    async authenticate(token: string) {
      calls.authenticate++;
      if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:6443');
      const u = users[token];
      return u ? { user: { username: u.name, groups: ['system:authenticated'] } } : { error: 'invalid bearer token' };
    },
    async authorize(user: { username?: string }) {
      calls.authorize++;
      return { allowed: Object.values(users).some((u) => u.name === user.username && u.reader) };
    },
  };
  return { reviews, calls, setDown: (d: boolean) => (down = d) };
}

describe('manager: who may read /metrics (metricsAuthorizer)', () => {
  const users = { t1: { name: 'system:serviceaccount:mon:prometheus', reader: true }, t2: { name: 'alice', reader: false } };

  it('401 without a bearer token or with one the API server does not know; 403 for a user without get /metrics', async () => {
    const { reviews } = scripted(users);
    const auth = metricsAuthorizer(reviews);
    const required = { allowed: false, status: 401, reason: 'a bearer token is required (Authorization: Bearer <token>)' };
    assert.deepEqual(await auth(undefined), required);
    assert.equal((await auth('Basic dTpw')).allowed, false);
    assert.deepEqual(await auth('Bearer nope'), { allowed: false, status: 401, reason: 'unauthenticated: invalid bearer token' });
    const alice = await auth('Bearer t2');
    assert.equal(alice.allowed, false);
    assert.equal(!alice.allowed && alice.status, 403);
    assert.match(!alice.allowed ? alice.reason : '', /^alice may not get \/metrics; bind the ClusterRole kokpit-metrics-reader$/);
    assert.deepEqual(await auth('bearer t1'), { allowed: true, user: 'system:serviceaccount:mon:prometheus' });
  });

  it('caches a verdict for its TTL (one review per scrape interval, not per scrape), never an API error', async () => {
    const { reviews, calls, setDown } = scripted(users);
    let now = 0;
    const auth = metricsAuthorizer(reviews, { cacheTtlMs: 10_000, now: () => now });
    for (let i = 0; i < 5; i++) assert.equal((await auth('Bearer t1')).allowed, true);
    assert.deepEqual(calls, { authenticate: 1, authorize: 1 });
    now = 10_001;
    await auth('Bearer t1');
    assert.deepEqual(calls, { authenticate: 2, authorize: 2 });
    setDown(true);
    const failed = await auth('Bearer t2');
    assert.equal(!failed.allowed && failed.status, 500);
    setDown(false);
    assert.equal((await auth('Bearer t2')).allowed, false, 'asked again once the API server answers');
    assert.equal(calls.authenticate, 4);
  });
});
