import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import { candidateLabel, fillHoleNotice, holeArgument, inlineCompletionMiddleware, parseContextText, parseFillHoleResult } from '../../src/middleware';
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

  it('reads fill results leniently and explains failures', () => {
    const result = parseFillHoleResult({
      applied: true,
      message: '',
      text: '2 * math.pi * radius',
      index: 0,
      candidates: 2,
      choices: [
        { index: 0, label: '2 * math.pi * radius', text: '2 * math.pi * radius' },
        { index: 1, text: 'math.tau * radius' },
        { index: 2 },
      ],
      cursor: { line: 8, character: 32 },
    });
    assert.deepEqual(result, {
      applied: true,
      message: '',
      text: '2 * math.pi * radius',
      index: 0,
      choices: [
        { index: 0, label: '2 * math.pi * radius', text: '2 * math.pi * radius' },
        { index: 1, label: 'math.tau * radius', text: 'math.tau * radius' },
      ],
      cursor: { line: 8, character: 32 },
    });
    // an older server: no cursor, no choices
    assert.deepEqual(parseFillHoleResult({ applied: true, message: '', text: 'x', candidates: 1 }), { applied: true, message: '', text: 'x', index: 0, choices: [], cursor: undefined });
    assert.equal(parseFillHoleResult(null).applied, false);
    const notApplied = (message: string, text = '') => ({ applied: false, message, text, index: 0, choices: [], cursor: undefined });
    assert.equal(fillHoleNotice({ ...notApplied(''), applied: true }), undefined);
    assert.equal(fillHoleNotice(notApplied('no hole at the cursor')), 'RepoFill: no hole at the cursor');
    assert.equal(fillHoleNotice(notApplied('', 'x')), 'RepoFill: the editor did not apply the edit.');
    assert.equal(fillHoleNotice(notApplied('')), 'RepoFill: no suggestion for this hole.');
  });

  it('labels a candidate by its first line', () => {
    assert.equal(candidateLabel('\n    total = 0\n    return total'), 'total = 0');
    assert.equal(candidateLabel(''), '(empty)');
  });
});
