// The netns pod network's pure parts: which host routes would make its range someone else's, and what a pod IP of it
// looks like. The namespace itself is tested for real in test/integration/podrunner/pod-network.test.ts.
import assert from 'node:assert/strict';
import { isNetnsPodIP, netnsPrefix, overlappingRoutes } from '../../../src/podrunner/pod-network';

describe('podrunner pod network (netns)', () => {
  it('finds host routes that overlap the block, ignoring the default route and its own interface', () => {
    const routes = [
      { dst: 'default', dev: 'eth0' },
      { dst: '10.0.0.0/8', dev: 'eth0' },
      { dst: '198.18.3.0/24', dev: 'kokpit3' },
      { dst: '198.18.0.0/15', dev: 'vpn0' },
      { dst: '198.18.3.7', dev: 'tun1' },
      { dst: '198.19.0.0/16', dev: 'lab0' },
      { dst: 'fe80::/64', dev: 'eth0' },
    ];
    assert.deepEqual(overlappingRoutes(routes, '198.18.3.0/24', 'kokpit3'), ['198.18.0.0/15 dev vpn0', '198.18.3.7 dev tun1']);
    assert.deepEqual(overlappingRoutes(routes, '198.18.4.0/24', 'kokpit4'), ['198.18.0.0/15 dev vpn0']);
    assert.deepEqual(overlappingRoutes([{ dst: 'default' }, { dst: '172.17.0.0/16', dev: 'docker0' }], '198.18.0.0/24', 'kokpit0'), []);
  });

  it('names its addresses', () => {
    assert.equal(netnsPrefix(7), '198.18.7.');
    assert.equal(isNetnsPodIP('198.18.7.12'), true);
    assert.equal(isNetnsPodIP('127.0.7.12'), false);
    assert.equal(isNetnsPodIP(undefined), false);
  });
});
