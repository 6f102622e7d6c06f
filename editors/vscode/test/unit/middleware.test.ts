import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import { candidateLabel, endOf, holeArgument, inlineCompletionMiddleware, parseContextText, parseHoleCandidates } from '../../src/middleware';
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

  it('a failed request answers no suggestion, is reported to the log and ends the count', async () => {
    const failures: unknown[] = [];
    const events: string[] = [];
    const middleware = inlineCompletionMiddleware<{ languageId: string }, number, string, null, string[]>({
      settings: () => SERVER_DEFAULTS,
      started: () => events.push('start'),
      finished: () => events.push('end'),
      failed: (error) => failures.push(error),
    });
    const error = new Error('position 11:19 is past the end of its line');
    const result = await middleware({ languageId: 'python' }, 0, '', null, () => Promise.reject(error));
    assert.equal(result, null);
    assert.deepEqual(failures, [error]);
    assert.deepEqual(events, ['start', 'end']);
  });

  it("passes VS Code's context (the suggest list's selected item) on unchanged", async () => {
    const { middleware } = harness(SERVER_DEFAULTS);
    const context = { triggerKind: 1, selectedCompletionInfo: { range: { start: 4, end: 6 }, text: 'item' } };
    let seen: unknown;
    await middleware({ languageId: 'python' }, 6, JSON.stringify(context), null, (_d, _p, c) => {
      seen = JSON.parse(c);
      return Promise.resolve([]);
    });
    assert.deepEqual(seen, context);
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

  it('reads the show-context answer leniently', () => {
    assert.equal(parseContextText({ text: '# a.py' }), '# a.py');
    assert.equal(parseContextText({ text: 3 }), '');
  });

  it('the cursor goes after the inserted text', () => {
    assert.deepEqual(endOf(at(4, 8), 'sum(xs)'), at(4, 15));
    assert.deepEqual(endOf(at(4, 8), 'if x:\n        return 1\n    return 2'), at(6, 12));
    assert.deepEqual(endOf(at(0, 0), 'a\r\nbc'), at(1, 2));
    assert.deepEqual(endOf(at(2, 3), ''), at(2, 3));
  });

  it('reads the candidates with the range their edit replaces, best first', () => {
    const range = { start: at(1, 11), end: at(1, 17) };
    const answer = parseHoleCandidates({
      status: 'ok',
      message: '',
      candidates: [
        { text: 'sum(xs)', score: -1.5, edit: { changes: { 'file:///a.py': [{ range, newText: 'sum(xs)' }] } } },
        { text: 'max(xs)', score: -2, edit: { documentChanges: [{ textDocument: { uri: 'file:///a.py', version: 3 }, edits: [{ range, newText: 'max(xs)' }] }] } },
        { text: 'no edit', score: 0 },
      ],
    });
    assert.deepEqual(answer.candidates, [
      { text: 'sum(xs)', score: -1.5, range },
      { text: 'max(xs)', score: -2, range },
    ]);
    assert.deepEqual(parseHoleCandidates(null), { message: '', candidates: [] });
    assert.deepEqual(parseHoleCandidates({ message: 'no hole at the cursor', candidates: [] }), { message: 'no hole at the cursor', candidates: [] });
  });

  it('labels a candidate by its first line', () => {
    assert.deepEqual(candidateLabel('\n    total = 0\n    return total'), { label: 'total = 0', detail: '3 lines' });
    assert.deepEqual(candidateLabel('x'), { label: 'x', detail: '1 line' });
  });
});
