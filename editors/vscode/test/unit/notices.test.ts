import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import { errorKey, routeServerError, settingForServerError, settingsQuery, ShownErrors } from '../../src/notices';

describe('which server errors are popups', () => {
  it('an error while a completion request is in flight belongs to that request: logged only', () => {
    assert.equal(routeServerError('RepoFill: prompt of 8544 tokens does not fit', 1, undefined), 'log');
    assert.equal(routeServerError('RepoFill: cannot reach http://127.0.0.1:9/', 2, 'model file not found'), 'log');
  });

  it("the server's standing error (status error) is a popup even during a request", () => {
    assert.equal(routeServerError('RepoFill: model file not found: /x.gguf', 1, 'model file not found: /x.gguf'), 'popup');
  });

  it('an error outside completion requests (a command, a model that failed to load) is a popup', () => {
    assert.equal(routeServerError('RepoFill: no hole at the cursor', 0, undefined), 'popup');
  });
});

describe('ShownErrors', () => {
  it('shows each cause once, with or without the RepoFill prefix, until reset', () => {
    const shown = new ShownErrors();
    assert.equal(shown.first('RepoFill: model file not found'), true);
    assert.equal(shown.first('model file not found'), false);
    assert.equal(shown.first('RepoFill: another cause'), true);
    shown.reset();
    assert.equal(shown.first('RepoFill: model file not found'), true);
  });

  it('counts popups still on screen and reports them on reset', () => {
    const shown = new ShownErrors();
    shown.opened();
    shown.opened();
    shown.closed();
    assert.equal(shown.open, 1);
    assert.equal(shown.reset(), 1);
    assert.equal(shown.open, 0);
    assert.equal(shown.reset(), 0);
  });

  it('keys messages by their text without the prefix', () => {
    assert.equal(errorKey('RepoFill:  x y '), 'x y');
  });
});

describe('Open Settings', () => {
  it('asks the Settings editor for exactly one setting', () => {
    assert.equal(settingsQuery('repofill.server.command'), '@id:repofill.server.command');
  });

  it('names the setting a model error is about', () => {
    assert.equal(settingForServerError({ backend: 'llama-server', modelPath: '' }), 'repofill.remoteUrl');
    assert.equal(settingForServerError({ backend: 'local', modelPath: '/m.gguf' }), 'repofill.modelPath');
    assert.equal(settingForServerError({ backend: 'local', modelPath: '' }), 'repofill.model');
  });
});
