/**
 * Which server messages become popups, and which only go to the log. Pure: no `vscode` import.
 *
 * The rule: a failure of one completion request is never a popup (it is logged); errors that
 * need the user (no model, a server that cannot start) are shown once per cause, and forgotten
 * when the server is ready again, so the same cause is shown again if it comes back.
 */

const PREFIX = /^RepoFill:\s*/;

/** The cause a message stands for: the text without the "RepoFill: " prefix, trimmed. */
export function errorKey(message: string): string {
  return message.replace(PREFIX, '').trim();
}

export type Route = 'popup' | 'log';

/**
 * Where a server `window/showMessage` of type Error goes. `inflight` is the number of inline
 * completion requests sent and not yet answered; `statusError` the message of the server's
 * current `repofill/status` error, if any. The server sends a request's error before the
 * request's answer, so an error that arrives while a completion request is in flight and is
 * not the server's standing error belongs to that request: it is logged only.
 */
export function routeServerError(message: string, inflight: number, statusError: string | undefined): Route {
  if (inflight > 0 && (statusError === undefined || errorKey(statusError) !== errorKey(message))) {
    return 'log';
  }
  return 'popup';
}

/** The errors shown so far, one popup per cause; `reset()` when the cause is gone. */
export class ShownErrors {
  private readonly causes = new Set<string>();
  private openCount = 0;

  /** True the first time a cause is seen since the last reset (the caller shows it). */
  first(message: string): boolean {
    const key = errorKey(message);
    if (this.causes.has(key)) {
      return false;
    }
    this.causes.add(key);
    return true;
  }

  /** A popup was shown; `closed()` when the user dismissed it or clicked a button. */
  opened(): void {
    this.openCount += 1;
  }

  closed(): void {
    this.openCount = Math.max(0, this.openCount - 1);
  }

  /** Popups of ours still on screen. */
  get open(): number {
    return this.openCount;
  }

  /** Forgets every cause (the server is ready again); returns how many popups were still open. */
  reset(): number {
    const open = this.openCount;
    this.causes.clear();
    this.openCount = 0;
    return open;
  }
}

/**
 * The setting a failure is about, for the "Open Settings" button: VS Code's Settings editor
 * shows exactly that setting for the query `@id:<setting>`.
 */
export function settingsQuery(setting: string): string {
  return `@id:${setting}`;
}

/** The setting a server error in `repofill/status` (a model that cannot be used) is about. */
export function settingForServerError(settings: { backend: string; modelPath: string }): string {
  if (settings.backend !== 'local') {
    return 'repofill.remoteUrl';
  }
  return settings.modelPath.length > 0 ? 'repofill.modelPath' : 'repofill.model';
}
