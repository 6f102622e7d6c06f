import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import {
  classifyChange,
  commandLine,
  completesLanguage,
  describeCommandLine,
  LAUNCH_DEFAULTS,
  manifestReader,
  readLaunchSettings,
  readServerSettings,
  restartDecision,
  SERVER_DEFAULTS,
  SERVER_KEYS,
  traceRequested,
} from '../../src/settings';

const root = path.resolve(__dirname, '..', '..', '..');
const manifest: unknown = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

describe('settings from the manifest', () => {
  it('the manifest defaults are the documented server defaults', () => {
    assert.deepEqual(readServerSettings(manifestReader(manifest)), SERVER_DEFAULTS);
    assert.deepEqual(readLaunchSettings(manifestReader(manifest)), LAUNCH_DEFAULTS);
  });

  it('the manifest declares every server setting', () => {
    const properties = (manifest as { contributes: { configuration: { properties: Record<string, unknown> } } }).contributes.configuration.properties;
    for (const key of SERVER_KEYS) {
      assert.ok(`repofill.${key}` in properties, `repofill.${key} missing from package.json`);
    }
  });

  it('an unset reader gives the defaults', () => {
    assert.deepEqual(readServerSettings(() => undefined), SERVER_DEFAULTS);
  });
});

describe('readServerSettings', () => {
  it('passes valid values through', () => {
    const s = readServerSettings(
      manifestReader(manifest, {
        enabled: false,
        model: ' gemma ',
        maxLines: 3,
        multiline: 'never',
        deadlineMs: 750,
        languages: ['python', ' go '],
        candidates: 3,
        strategy: 'greedy',
        nGpuLayers: 0,
        backend: 'llama-server',
        remoteUrl: ' http://gpu-box:8080 ',
        flashAttn: true,
        kvCacheType: 'q8_0',
      }),
    );
    assert.equal(s.strategy, 'greedy');
    assert.equal(s.nGpuLayers, 0);
    assert.equal(s.backend, 'llama-server');
    assert.equal(s.remoteUrl, 'http://gpu-box:8080');
    assert.equal(s.flashAttn, true);
    assert.equal(s.kvCacheType, 'q8_0');
    assert.equal(s.enabled, false);
    assert.equal(s.model, 'gemma');
    assert.equal(s.maxLines, 3);
    assert.equal(s.multiline, 'never');
    assert.equal(s.deadlineMs, 750);
    assert.deepEqual(s.languages, ['python', 'go']);
    assert.equal(s.candidates, 3);
  });

  it('replaces malformed values with defaults', () => {
    const s = readServerSettings(
      manifestReader(manifest, {
        enabled: 'yes',
        maxLines: -2,
        multiline: 'sometimes',
        maxTokens: 'many',
        languages: 'python',
        candidates: 0,
        contextBudget: 12.7,
        strategy: 'best',
        nGpuLayers: -2,
        kvCacheType: 'q2',
        backend: 'cloud',
        remoteFimFormat: ' ',
      }),
    );
    assert.equal(s.strategy, 'auto');
    assert.equal(s.nGpuLayers, -1);
    assert.equal(s.kvCacheType, 'f16');
    assert.equal(s.backend, 'local');
    assert.equal(s.remoteFimFormat, 'auto');
    assert.equal(s.enabled, true);
    assert.equal(s.maxLines, 8);
    assert.equal(s.multiline, 'auto');
    assert.equal(s.maxTokens, 64);
    assert.deepEqual(s.languages, []);
    assert.equal(s.candidates, 1);
    assert.equal(s.contextBudget, 12);
  });
});

describe('launch', () => {
  it('runs the command with its arguments', () => {
    assert.deepEqual(commandLine(readLaunchSettings(manifestReader(manifest))), { command: 'repofill', args: ['serve'] });
    assert.deepEqual(commandLine(readLaunchSettings(manifestReader(manifest, { 'server.command': '  ' }))), { command: 'repofill', args: ['serve'] });
  });

  it('a Python interpreter runs the CLI module', () => {
    const line = commandLine(readLaunchSettings(manifestReader(manifest, { 'server.pythonPath': '/venv/bin/python', 'server.command': 'ignored' })));
    assert.deepEqual(line, { command: '/venv/bin/python', args: ['-m', 'repofill.lsp.cli', 'serve'] });
  });

  it('describes a command line as a shell would read it', () => {
    assert.equal(describeCommandLine({ command: '/opt/my tools/repofill', args: ['serve', "it's"] }), `'/opt/my tools/repofill' serve 'it'\\''s'`);
    assert.equal(describeCommandLine({ command: 'repofill', args: ['serve', '--tcp', '127.0.0.1:9000'] }), 'repofill serve --tcp 127.0.0.1:9000');
  });
});

describe('reacting to changes', () => {
  it('server settings are sent, launch settings restart', () => {
    assert.equal(classifyChange((k) => k === 'maxLines'), 'settings');
    assert.equal(classifyChange((k) => k === 'enabled'), 'settings');
    assert.equal(classifyChange((k) => k === 'server.command'), 'restart');
    assert.equal(classifyChange((k) => k === 'server.pythonPath' || k === 'maxLines'), 'restart');
    assert.equal(classifyChange(() => false), 'none');
  });

  it('completes only enabled languages', () => {
    assert.equal(completesLanguage({ ...SERVER_DEFAULTS, languages: [] }, 'rust'), true);
    assert.equal(completesLanguage({ ...SERVER_DEFAULTS, languages: ['python'] }, 'rust'), false);
    assert.equal(completesLanguage({ ...SERVER_DEFAULTS, languages: ['python'] }, 'python'), true);
    assert.equal(completesLanguage({ ...SERVER_DEFAULTS, enabled: false }, 'python'), false);
  });
});

describe('restarting on a changed server command', () => {
  it('restarts only with a command that exists, unless no server runs anyway', () => {
    assert.equal(restartDecision(true, true), 'restart');
    assert.equal(restartDecision(false, true), 'keep'); // half-typed path: keep the running server
    assert.equal(restartDecision(false, false), 'restart'); // nothing runs: start and say what is missing
  });
});

describe('the manifest', () => {
  const contributes = (manifest as { contributes: { keybindings: { command: string; key: string; when?: string }[]; configuration: { properties: Record<string, { description?: string } | undefined> } } }).contributes;

  it('binds Alt+\\ to "Trigger Inline Suggestion" in the editor', () => {
    const binding = contributes.keybindings.find((b) => b.command === 'editor.action.inlineSuggest.trigger');
    assert.ok(binding !== undefined);
    assert.equal(binding.key, 'alt+\\');
    assert.match(binding.when ?? '', /editorTextFocus/);
  });

  it('Tab beside an open suggest list takes the selected item and the ghost text after it', () => {
    const binding = contributes.keybindings.find((b) => b.command === 'editor.action.inlineSuggest.commit');
    assert.ok(binding !== undefined);
    assert.equal(binding.key, 'tab');
    for (const key of ['suggestWidgetVisible', 'inlineSuggestionVisible', 'editorTextFocus', '!editorReadonly']) {
      assert.ok((binding.when ?? '').split(' && ').includes(key), key);
    }
  });

  it('documents repofill.trace.server and reads its values', () => {
    assert.match(contributes.configuration.properties['repofill.trace.server']?.description ?? '', /output channel/);
    assert.equal(traceRequested('messages'), true);
    assert.equal(traceRequested('verbose'), true);
    assert.equal(traceRequested('off'), false);
    assert.equal(traceRequested(undefined), false);
  });
});
