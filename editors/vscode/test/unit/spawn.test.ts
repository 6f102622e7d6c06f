import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { failureMessage } from '../../src/errors';
import { resolveExecutable, ServerStartError, spawnServer } from '../../src/spawn';

function tempBin(): { dir: string; exe: string; plain: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'repofill-spawn-'));
  const exe = path.join(dir, 'fake-server');
  fs.writeFileSync(exe, '#!/bin/sh\necho "no model here" >&2\nexit 3\n', { mode: 0o755 });
  const plain = path.join(dir, 'not-executable');
  fs.writeFileSync(plain, 'x', { mode: 0o644 });
  return { dir, exe, plain };
}

describe('resolveExecutable', { skip: process.platform === 'win32' ? 'POSIX permissions' : false }, () => {
  it('finds commands on PATH and by path, not plain files', () => {
    const { dir, exe, plain } = tempBin();
    assert.equal(resolveExecutable('fake-server', { PATH: `/nonexistent${path.delimiter}${dir}` }), exe);
    assert.equal(resolveExecutable(exe, { PATH: '' }), exe);
    assert.equal(resolveExecutable('./fake-server', { PATH: '' }, dir), exe);
    assert.equal(resolveExecutable('not-executable', { PATH: dir }), undefined);
    assert.equal(resolveExecutable(plain, { PATH: '' }), undefined);
    assert.equal(resolveExecutable('fake-server', { PATH: '' }), undefined);
  });
});

describe('spawnServer', { skip: process.platform === 'win32' ? 'POSIX shell script' : false }, () => {
  it('a missing command fails before spawning, naming the command', async () => {
    await assert.rejects(spawnServer({ command: 'repofill-does-not-exist', args: ['serve'] }, { env: { PATH: '/nonexistent' } }), (error: unknown) => {
      assert.ok(error instanceof ServerStartError);
      assert.equal(error.failure.kind, 'notFound');
      assert.match(failureMessage(error.failure), /"repofill-does-not-exist" was not found/);
      return true;
    });
  });

  it('a server that exits at start reports its code and stderr', async () => {
    const { exe } = tempBin();
    const server = await spawnServer({ command: exe, args: ['serve'] });
    const exit = await server.exited;
    assert.deepEqual(exit, { code: 3, signal: null });
    await new Promise((resolve) => setImmediate(resolve));
    const message = failureMessage({ kind: 'exited', command: server.description, code: exit.code, signal: exit.signal, stderr: server.stderr.snapshot() });
    assert.match(message, /fake-server serve" exited with code 3 while starting: no model here/);
  });
});
