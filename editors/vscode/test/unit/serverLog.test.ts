import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import { lineLevel, StderrLevels, type LineLevel } from '../../src/serverLog';

describe("the server's stderr at its levels", () => {
  it('reads the level of a Python logging record', () => {
    assert.equal(lineLevel('2026-11-30 21:39:26,123 INFO repofill.lsp.runtime: indexed 7 files', 'error'), 'info');
    assert.equal(lineLevel('2026-11-30 21:39:26,123 WARNING repofill.lsp.runtime: slow', 'info'), 'warn');
    assert.equal(lineLevel('2026-11-30 21:39:26,123 DEBUG pygls: x', 'info'), 'debug');
    assert.equal(lineLevel('2026-11-30 21:39:26,123 CRITICAL x: y', 'info'), 'error');
  });

  it("continuation lines keep their record's level; text before any record is an error", () => {
    const seen: [LineLevel, string][] = [];
    const record = (level: LineLevel) => (m: string): void => {
      seen.push([level, m]);
    };
    const sink = { trace: record('trace'), debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
    const levels = new StderrLevels(sink);
    for (const line of [
      'usage: repofill [-h]',
      '2026-11-30 21:39:26,123 INFO repofill.lsp.runtime: model ready',
      '2026-11-30 21:39:27,000 ERROR repofill.lsp.runtime: indexing failed',
      'Traceback (most recent call last):',
      '2026-11-30 21:39:28,000 INFO repofill.lsp.server: next',
    ]) {
      levels.line(line);
    }
    assert.deepEqual(seen.map(([level]) => level), ['error', 'info', 'error', 'error', 'info']);
  });
});
