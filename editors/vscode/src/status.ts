/**
 * The status bar item's state machine. Inputs are the client's lifecycle, the server's
 * `repofill/status` notifications, the `enabled` setting and the requests in flight; the
 * output is what the item shows and does when clicked. Pure: no `vscode` import.
 */

export type ServerState = 'starting' | 'ready' | 'working' | 'error' | 'disabled';
export type ClientPhase = 'starting' | 'running' | 'stopped' | 'failed';
export type Shown = 'starting' | 'ready' | 'working' | 'disabled' | 'error' | 'stopped';

export interface StatusModel {
  readonly client: ClientPhase;
  /** The last state the server announced, and its message. */
  readonly server: ServerState;
  readonly serverMessage: string;
  /** Why the client failed (start failure, crash); empty otherwise. */
  readonly failure: string;
  readonly enabled: boolean;
  /** Inline completion requests sent and not yet answered. */
  readonly inflight: number;
}

export type StatusEvent =
  | { type: 'clientStarting' }
  | { type: 'clientRunning' }
  | { type: 'clientStopped' }
  | { type: 'clientFailed'; message: string }
  | { type: 'serverStatus'; state: unknown; message: unknown }
  | { type: 'enabled'; value: boolean }
  | { type: 'requestStarted' }
  | { type: 'requestFinished' };

export const COMMAND_TOGGLE = 'repofill.toggle';
export const COMMAND_SHOW_LOG = 'repofill.showLog';

export interface StatusView {
  readonly shown: Shown;
  /** Status bar text with a codicon, e.g. `$(check) RepoFill`. */
  readonly text: string;
  readonly tooltip: string;
  /** The command a click runs. */
  readonly command: string;
  /** Background colour: errors are red, disabled is a warning. */
  readonly background: 'error' | 'warning' | undefined;
}

const SERVER_STATES: readonly ServerState[] = ['starting', 'ready', 'working', 'error', 'disabled'];

export function initialStatus(enabled: boolean): StatusModel {
  return { client: 'starting', server: 'starting', serverMessage: '', failure: '', enabled, inflight: 0 };
}

export function isServerState(value: unknown): value is ServerState {
  return typeof value === 'string' && (SERVER_STATES as readonly string[]).includes(value);
}

export function reduceStatus(model: StatusModel, event: StatusEvent): StatusModel {
  switch (event.type) {
    case 'clientStarting':
      return { ...model, client: 'starting', server: 'starting', serverMessage: '', failure: '', inflight: 0 };
    case 'clientRunning':
      return { ...model, client: 'running' };
    case 'clientStopped':
      return { ...model, client: 'stopped', inflight: 0 };
    case 'clientFailed':
      return { ...model, client: 'failed', failure: event.message, inflight: 0 };
    case 'serverStatus':
      if (!isServerState(event.state)) {
        return model; // a state this client does not know: keep showing the last known one
      }
      return { ...model, server: event.state, serverMessage: typeof event.message === 'string' ? event.message : '' };
    case 'enabled':
      return { ...model, enabled: event.value };
    case 'requestStarted':
      return { ...model, inflight: model.inflight + 1 };
    case 'requestFinished':
      return { ...model, inflight: Math.max(0, model.inflight - 1) };
  }
}

/** Which of the visible states the model is in; errors win, then disabled, then activity. */
export function shownState(model: StatusModel): Shown {
  if (model.client === 'failed' || model.server === 'error') {
    return 'error';
  }
  if (model.client === 'stopped') {
    return 'stopped';
  }
  if (!model.enabled || model.server === 'disabled') {
    return 'disabled';
  }
  if (model.client === 'starting' || model.server === 'starting') {
    return 'starting';
  }
  if (model.inflight > 0 || model.server === 'working') {
    return 'working';
  }
  return 'ready';
}

const ICONS: Record<Shown, string> = {
  starting: '$(loading~spin)',
  ready: '$(check)',
  working: '$(sync~spin)',
  disabled: '$(circle-slash)',
  error: '$(error)',
  stopped: '$(debug-stop)',
};

const DESCRIPTIONS: Record<Shown, string> = {
  starting: 'starting',
  ready: 'ready',
  working: 'working',
  disabled: 'disabled',
  error: 'error',
  stopped: 'server stopped',
};

export function statusView(model: StatusModel): StatusView {
  const shown = shownState(model);
  const detail = model.client === 'failed' ? model.failure : model.serverMessage;
  const lines = [`RepoFill: ${DESCRIPTIONS[shown]}`];
  if (detail.length > 0) {
    lines.push(detail);
  }
  lines.push(shown === 'error' ? 'Click to show the log.' : `Click to ${model.enabled ? 'disable' : 'enable'} completions.`);
  return {
    shown,
    text: `${ICONS[shown]} RepoFill`,
    tooltip: lines.join('\n'),
    command: shown === 'error' ? COMMAND_SHOW_LOG : COMMAND_TOGGLE,
    background: shown === 'error' ? 'error' : shown === 'disabled' ? 'warning' : undefined,
  };
}
