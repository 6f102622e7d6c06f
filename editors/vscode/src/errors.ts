/**
 * Turning server start failures and crashes into one clear message that names the command
 * and the problem. Pure: no `vscode` import.
 */

/** Why the server could not be started or stopped running. */
export type ServerFailure =
  | { kind: 'notFound'; command: string }
  | { kind: 'spawnError'; command: string; error: string }
  | { kind: 'exited'; command: string; code: number | null; signal: string | null; stderr: string[] }
  | { kind: 'crashed'; command: string; count: number; minutes: number; stderr: string[] };

export const SETTINGS_HINT = 'Set "repofill.server.command" or "repofill.server.pythonPath".';

function exitDescription(code: number | null, signal: string | null): string {
  if (signal !== null) {
    return `was killed by ${signal}`;
  }
  return code === null ? 'exited' : `exited with code ${code}`;
}

function lastLines(stderr: readonly string[], n = 3): string {
  const useful = stderr.map((l) => l.trim()).filter((l) => l.length > 0);
  return useful.slice(-n).join(' | ');
}

export function failureMessage(failure: ServerFailure): string {
  switch (failure.kind) {
    case 'notFound':
      return `RepoFill: cannot start the server: "${failure.command}" was not found or is not executable. ` +
        `Install RepoFill (pip install repofill) or fix the setting. ${SETTINGS_HINT}`;
    case 'spawnError':
      return `RepoFill: cannot start the server "${failure.command}": ${failure.error}. ${SETTINGS_HINT}`;
    case 'exited': {
      const tail = lastLines(failure.stderr);
      return `RepoFill: the server "${failure.command}" ${exitDescription(failure.code, failure.signal)} while starting` +
        (tail.length > 0 ? `: ${tail}` : '. See the log for details.');
    }
    case 'crashed': {
      const tail = lastLines(failure.stderr);
      return `RepoFill: the server "${failure.command}" stopped ${failure.count} times in ${failure.minutes} minutes ` +
        `and will not be restarted` + (tail.length > 0 ? `: ${tail}` : '.') + ' Use "RepoFill: Restart Server" to try again.';
    }
  }
}

/** The last lines a process wrote to stderr, kept for error messages. */
export class StderrTail {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(private readonly limit = 20) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > this.limit) {
        this.lines.shift();
      }
    }
  }

  snapshot(): string[] {
    return this.partial.length > 0 ? [...this.lines, this.partial].slice(-this.limit) : [...this.lines];
  }
}

/** Restart a crashed server unless it crashed `maxCrashes` times within `windowMs`. */
export class CrashTracker {
  private readonly times: number[] = [];

  constructor(readonly maxCrashes = 4, readonly windowMs = 3 * 60_000) {}

  /** Records a crash at `now`; true when the server should be restarted. */
  crashed(now: number): boolean {
    this.times.push(now);
    while (this.times.length > 0 && now - (this.times[0] ?? now) > this.windowMs) {
      this.times.shift();
    }
    return this.times.length < this.maxCrashes;
  }

  get count(): number {
    return this.times.length;
  }
}
