import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import { fillHoleNotice, holeArgument, inlineCompletionMiddleware, parseContextText, parseFillHoleResult } from '../../src/middleware';
import { SERVER_DEFAULTS, type ServerSettings } from '../../src/settings';

function harness(settings: ServerSettings) {
  const events: string[] = [];
  const middleware = inlineCompletionMiddleware<{ languageId: string }, number, string, null, string[]>({
    settings: () => settings,
    started: () => events.push('start'),
    finished: () => events.push('end'),
  });
  return { events, middleware };
}

describe('inline completion middleware', () => {
  it('forwards the request and counts it', async () => {
    const { events, middleware } = harness(SERVER_DEFAULTS);
    const calls: unknown[][] = [];
    const result = await middleware({ languageId: 'python' }, 7, 'ctx', null, (d, p, c, t) => {
      calls.push([d.languageId, p, c, t]);
      return Promise.resolve(['x = 1']);
    });
    assert.deepEqual(result, ['x = 1']);
    assert.deepEqual(calls, [['python', 7, 'ctx', null]]);
    assert.deepEqual(events, ['start', 'end']);
  });

  it('does not ask the server when disabled or for another language', async () => {
    for (const settings of [{ ...SERVER_DEFAULTS, enabled: false }, { ...SERVER_DEFAULTS, languages: ['go'] }]) {
      const { events, middleware } = harness(settings);
      let called = false;
      const result = await middleware({ languageId: 'python' }, 0, '', null, () => {
        called = true;
        return Promise.resolve([]);
      });
      assert.equal(result, null);
      assert.equal(called, false);
      assert.deepEqual(events, []);
    }
  });

  it('ends the count when the request fails', async () => {
    const { events, middleware } = harness(SERVER_DEFAULTS);
    await assert.rejects(middleware({ languageId: 'python' }, 0, '', null, () => Promise.reject(new Error('cancelled'))), /cancelled/);
    assert.deepEqual(events, ['start', 'end']);
  });
});

describe('fill hole', () => {
  const at = (line: number, character: number) => ({ line, character });

  it('sends the cursor when nothing is selected', () => {
    assert.deepEqual(holeArgument('file:///a.py', { start: at(2, 4), end: at(2, 4), active: at(2, 4), isEmpty: true }), { uri: 'file:///a.py', position: at(2, 4) });
  });

  it('sends the selection as the range', () => {
    assert.deepEqual(holeArgument('file:///a.py', { start: at(1, 0), end: at(3, 2), active: at(1, 0), isEmpty: false }), {
      uri: 'file:///a.py',
      range: { start: at(1, 0), end: at(3, 2) },
    });
  });

  it('reads results leniently and explains failures', () => {
    assert.deepEqual(parseFillHoleResult({ applied: true, message: '', text: 'return a' }), { applied: true, message: '', text: 'return a' });
    assert.deepEqual(parseFillHoleResult(null), { applied: false, message: '', text: '' });
    assert.equal(fillHoleNotice({ applied: true, message: '', text: 'x' }), undefined);
    assert.equal(fillHoleNotice({ applied: false, message: 'no hole at the cursor', text: '' }), 'RepoFill: no hole at the cursor');
    assert.equal(fillHoleNotice({ applied: false, message: '', text: 'x' }), 'RepoFill: the editor did not apply the edit.');
    assert.equal(fillHoleNotice({ applied: false, message: '', text: '' }), 'RepoFill: no suggestion for this hole.');
    assert.equal(parseContextText({ text: '# a.py' }), '# a.py');
    assert.equal(parseContextText({ text: 3 }), '');
  });
});
