// The Inside group's tree adapter (src/extension/fleet/inside.ts) over a scripted fleet: where the group goes, its
// ids and parents, a list that cannot be read (a retry node), and which collapses stop which watches. The lists
// against real apiservers: test/integration/editor/fleet-inside.test.ts.
import assert from 'node:assert/strict';
import { installFakeVscode } from './fake-vscode';

installFakeVscode();
const { InsideTree } = require('../../../src/extension/fleet/inside') as typeof import('../../../src/extension/fleet/inside');

describe('extension: the Inside tree of a business cluster (scripted fleet)', () => {
  const parents: Record<string, string | undefined> = { root: undefined, clusters: 'root', c1: 'clusters', e1: 'root' };
  let present = true;
  let fire: (ids: string[] | undefined) => void = () => undefined;
  const base = {
    roots: () => ['root'],
    children: (id: string) => Object.keys(parents).filter((k) => parents[k] === id),
    parent: (id: string) => parents[id],
    view: (id: string) => ({ id, label: id, collapsible: 'none' as const }),
    onDidChange: (l: (ids: string[] | undefined) => void) => {
      fire = l;
      return { dispose: () => undefined };
    },
  };
  const bc = { kind: 'BusinessCluster', metadata: { name: 'c1', namespace: 'ns' } };
  const fleet = {
    node: (id: string) =>
      id === 'c1' && present
        ? {
            id,
            kind: 'businessCluster' as const,
            label: 'c1',
            status: 'ok' as const,
            contextValue: 'x',
            children: [],
            ref: { kind: 'BusinessCluster', name: 'c1' },
          }
        : id === 'e1'
          ? { id, kind: 'etcdCluster' as const, label: 'e1', status: 'ok' as const, contextValue: 'x', children: [] }
          : undefined,
    object: () => bc,
    metaKubeConfig: undefined,
  };

  it('puts Inside under business clusters only, lists by kind, and a list it cannot read becomes a retry node', async () => {
    const tree = new InsideTree(base, fleet);
    try {
      assert.deepEqual(await tree.source.children('c1'), ['c1/inside']);
      assert.deepEqual(await tree.source.children('e1'), []);
      assert.equal(tree.source.view('c1').collapsible, 'collapsed', 'a cluster always has its Inside group');
      assert.equal(tree.source.parent('c1/inside'), 'c1');
      const lists = await tree.source.children('c1/inside');
      assert.deepEqual(lists, ['c1/inside/nodes', 'c1/inside/namespaces']);
      assert.deepEqual(
        lists.map((id) => tree.source.view(id).label),
        ['Nodes', 'Namespaces'],
      );
      const [message] = await tree.source.children('c1/inside/nodes');
      assert.equal(message, 'c1/inside/nodes/~message');
      assert.equal(tree.source.parent(message), 'c1/inside/nodes');
      const view = tree.source.view(message);
      assert.equal(view.label, 'not connected to a meta cluster');
      assert.deepEqual(view.command, { id: 'kokpit.insideLoadMore', title: 'Load more', args: [message] });
    } finally {
      tree.dispose();
    }
  });

  it('a collapse stops the watches below it, in the Inside tree or above the cluster; so does the cluster going away', async () => {
    const tree = new InsideTree(base, fleet);
    try {
      const expand = async () => {
        await tree.source.children('c1');
        await tree.source.children('c1/inside');
        await tree.source.children('c1/inside/nodes');
        await tree.source.children('c1/inside/namespaces');
      };
      await expand();
      assert.deepEqual(tree.activeLists.sort(), ['c1/inside/namespaces', 'c1/inside/nodes']);
      tree.collapsed('c1/inside/nodes');
      assert.deepEqual(tree.activeLists, ['c1/inside/namespaces']);
      tree.collapsed('e1');
      assert.deepEqual(tree.activeLists, ['c1/inside/namespaces'], 'a sibling of the cluster stops nothing');
      tree.collapsed('clusters');
      assert.deepEqual(tree.activeLists, [], 'the Business clusters group is above the cluster');
      await expand();
      present = false;
      fire(['clusters']);
      assert.deepEqual(tree.activeLists, []);
    } finally {
      present = true;
      tree.dispose();
    }
  });
});
