import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import { COMMAND_SHOW_LOG, COMMAND_TOGGLE, initialStatus, reduceStatus, shownState, statusView, type StatusEvent, type StatusModel } from '../../src/status';

function run(events: StatusEvent[], enabled = true): StatusModel {
  return events.reduce(reduceStatus, initialStatus(enabled));
}

const started: StatusEvent[] = [{ type: 'clientRunning' }, { type: 'serverStatus', state: 'ready', message: '' }];

describe('status state machine', () => {
  it('starts as starting and becomes ready', () => {
    assert.equal(shownState(run([])), 'starting');
    assert.equal(shownState(run([{ type: 'clientRunning' }])), 'starting'); // the model is still loading
    assert.equal(shownState(run(started)), 'ready');
  });

  it('shows working while a request is in flight or the server says so', () => {
    assert.equal(shownState(run([...started, { type: 'requestStarted' }])), 'working');
    assert.equal(shownState(run([...started, { type: 'requestStarted' }, { type: 'requestStarted' }, { type: 'requestFinished' }])), 'working');
    assert.equal(shownState(run([...started, { type: 'requestStarted' }, { type: 'requestFinished' }])), 'ready');
    assert.equal(shownState(run([...started, { type: 'requestFinished' }, { type: 'requestStarted' }])), 'working'); // never negative
    assert.equal(shownState(run([...started, { type: 'serverStatus', state: 'working', message: '' }])), 'working');
  });

  it('disabled by the setting or by the server', () => {
    assert.equal(shownState(run([...started, { type: 'enabled', value: false }])), 'disabled');
    assert.equal(shownState(run([...started, { type: 'requestStarted' }], false)), 'disabled');
    assert.equal(shownState(run([...started, { type: 'serverStatus', state: 'disabled', message: '' }])), 'disabled');
  });

  it('errors win and carry their message', () => {
    const model = run([...started, { type: 'serverStatus', state: 'error', message: 'model not found: /x.gguf' }], false);
    assert.equal(shownState(model), 'error');
    const view = statusView(model);
    assert.equal(view.command, COMMAND_SHOW_LOG);
    assert.equal(view.background, 'error');
    assert.match(view.tooltip, /model not found: \/x\.gguf/);
    const failed = run([{ type: 'clientFailed', message: 'RepoFill: cannot start the server "nope"' }]);
    assert.equal(shownState(failed), 'error');
    assert.match(statusView(failed).tooltip, /cannot start the server "nope"/);
  });

  it('a restart clears the error', () => {
    const model = run([{ type: 'clientFailed', message: 'boom' }, { type: 'clientStarting' }, ...started]);
    assert.equal(shownState(model), 'ready');
    assert.equal(statusView(model).tooltip.includes('boom'), false);
  });

  it('ignores states it does not know', () => {
    assert.equal(shownState(run([...started, { type: 'serverStatus', state: 'dancing', message: 1 }])), 'ready');
  });

  it('the view toggles on click unless in error', () => {
    const ready = statusView(run(started));
    assert.equal(ready.text, '$(check) RepoFill');
    assert.equal(ready.command, COMMAND_TOGGLE);
    assert.match(ready.tooltip, /Click to disable/);
    const disabled = statusView(run([...started, { type: 'enabled', value: false }]));
    assert.equal(disabled.text, '$(circle-slash) RepoFill');
    assert.equal(disabled.background, 'warning');
    assert.match(disabled.tooltip, /Click to enable/);
    assert.equal(statusView(run([...started, { type: 'requestStarted' }])).text, '$(sync~spin) RepoFill');
    assert.equal(shownState(run([...started, { type: 'clientStopped' }])), 'stopped');
  });
});
