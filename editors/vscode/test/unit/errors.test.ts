import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import { CrashTracker, failureMessage, StderrTail } from '../../src/errors';

describe('failure messages', () => {
  it('a missing command names it and the settings that fix it', () => {
    const m = failureMessage({ kind: 'notFound', command: 'repofil' });
    assert.match(m, /"repofil" was not found/);
    assert.match(m, /repofill\.server\.command/);
  });

  it('a spawn error carries the system message', () => {
    assert.match(failureMessage({ kind: 'spawnError', command: 'repofill serve', error: 'spawn EACCES' }), /"repofill serve": spawn EACCES/);
  });

  it('an exit at start names the command, the code and the last stderr lines', () => {
    const m = failureMessage({
      kind: 'exited',
      command: 'repofill serve',
      code: 2,
      signal: null,
      stderr: ['Traceback (most recent call last):', '  File "<string>", line 1', '    import repofill', 'ModuleNotFoundError: No module named repofill', ''],
    });
    assert.match(m, /"repofill serve" exited with code 2 while starting/);
    assert.match(m, /ModuleNotFoundError: No module named repofill$/);
    assert.doesNotMatch(m, /Traceback/); // only the last three useful lines
    assert.match(failureMessage({ kind: 'exited', command: 'x', code: null, signal: 'SIGKILL', stderr: [] }), /was killed by SIGKILL while starting\. See the log/);
  });

  it('repeated crashes say the server will not restart', () => {
    const m = failureMessage({ kind: 'crashed', command: 'repofill serve', count: 4, minutes: 3, stderr: ['Segmentation fault'] });
    assert.match(m, /stopped 4 times in 3 minutes and will not be restarted: Segmentation fault/);
    assert.match(m, /Restart Server/);
  });
});

describe('StderrTail', () => {
  it('joins chunks into lines and keeps the last ones', () => {
    const tail = new StderrTail(2);
    tail.push('one\ntw');
    tail.push('o\r\nthree\nfou');
    assert.deepEqual(tail.snapshot(), ['three', 'fou']);
    tail.push('r\n');
    assert.deepEqual(tail.snapshot(), ['three', 'four']);
  });
});

describe('CrashTracker', () => {
  it('allows restarts until the limit within the window', () => {
    const t = new CrashTracker(3, 1000);
    assert.equal(t.crashed(0), true);
    assert.equal(t.crashed(100), true);
    assert.equal(t.crashed(200), false);
  });

  it('forgets crashes older than the window', () => {
    const t = new CrashTracker(2, 1000);
    assert.equal(t.crashed(0), true);
    assert.equal(t.crashed(5000), true);
    assert.equal(t.count, 1);
  });
});
