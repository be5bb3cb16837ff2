import assert from 'node:assert/strict';
import { expandVars } from '../../../src/podrunner/expand';

describe('podrunner expandVars', () => {
  const vars = new Map([
    ['POD_IP', '127.0.0.5'],
    ['NAME', 'etcd-0'],
    ['EMPTY', ''],
  ]);

  it('replaces defined variables', () => {
    assert.equal(expandVars('http://$(POD_IP):2379', vars), 'http://127.0.0.5:2379');
    assert.equal(expandVars('$(NAME)=http://$(NAME).peers:2380', vars), 'etcd-0=http://etcd-0.peers:2380');
    assert.equal(expandVars('a$(EMPTY)b', vars), 'ab');
  });

  it('leaves undefined variables as written', () => {
    assert.equal(expandVars('$(NOPE) and $(POD_IP)', vars), '$(NOPE) and 127.0.0.5');
  });

  it('treats $$ as an escaped dollar', () => {
    assert.equal(expandVars('$$(POD_IP)', vars), '$(POD_IP)');
    assert.equal(expandVars('cost: $$5', vars), 'cost: $5');
  });

  it('copies incomplete and non-variable dollars', () => {
    assert.equal(expandVars('$(POD_IP', vars), '$(POD_IP');
    assert.equal(expandVars('$HOME/$x', vars), '$HOME/$x');
    assert.equal(expandVars('trailing $', vars), 'trailing $');
  });
});
