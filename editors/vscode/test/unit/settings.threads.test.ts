import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { manifestReader, readServerSettings, readThreads } from '../../src/settings';

const root = path.resolve(__dirname, '..', '..', '..');
const manifest: unknown = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

interface Property {
  type?: unknown;
  default?: unknown;
  description?: string;
}
const properties = (manifest as { contributes: { configuration: { properties: Record<string, Property | undefined> } } }).contributes.configuration.properties;

describe('repofill.threads', () => {
  it('defaults to "auto" and is declared as a string or an integer, with a description', () => {
    assert.equal(readServerSettings(manifestReader(manifest)).threads, 'auto');
    const threads = properties['repofill.threads'];
    assert.deepEqual(threads?.type, ['string', 'integer']);
    assert.ok((threads.description ?? '').includes('auto'));
  });

  it('passes "auto" and positive whole numbers (numbers or digit strings, sent as numbers)', () => {
    assert.equal(readServerSettings(manifestReader(manifest, { threads: 'auto' })).threads, 'auto');
    assert.equal(readServerSettings(manifestReader(manifest, { threads: 1 })).threads, 1);
    assert.equal(readServerSettings(manifestReader(manifest, { threads: 4 })).threads, 4);
    assert.equal(readServerSettings(manifestReader(manifest, { threads: ' 3 ' })).threads, 3);
    assert.equal(readThreads(' auto ', 2), 'auto');
  });

  it('falls back to the default for anything else', () => {
    for (const bad of [0, -1, 2.5, Number.NaN, Infinity, '0', '-2', '2.5', 'many', '', true, null, [2], { n: 2 }]) {
      assert.equal(readServerSettings(manifestReader(manifest, { threads: bad })).threads, 'auto', JSON.stringify(bad));
    }
    assert.equal(readThreads('many', 2), 2, 'the given fallback');
  });
});

describe('repofill.prewarm', () => {
  it('is a client setting, on by default, never sent to the server', () => {
    assert.equal(properties['repofill.prewarm']?.type, 'boolean');
    assert.equal(properties['repofill.prewarm'].default, true);
    assert.ok(!('prewarm' in readServerSettings(manifestReader(manifest))));
  });
});
