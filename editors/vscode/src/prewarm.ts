/**
 * When to send `repofill/didMoveCursor` (docs/protocol.md, "Notifications (client → server)"):
 * once the cursor has rested `PREWARM_DELAY_MS` at a place it moved to without an edit, or in an
 * editor that gained focus; never per keystroke, never twice for the same place and document
 * version. Pure: no `vscode` import, so plain Node can test it; `prewarmEditor.ts` feeds it the
 * editor's events.
 */

/** The notification's method (docs/protocol.md). */
export const DID_MOVE_CURSOR = 'repofill/didMoveCursor';

/** How long the cursor rests before the server is told (ms). */
export const PREWARM_DELAY_MS = 150;

/** A cursor place: the document's URI and version, and the position (line and character as the editor counts them). */
export interface CursorPlace {
  readonly uri: string;
  readonly version: number;
  readonly line: number;
  readonly character: number;
}

/** What the scheduler needs from a clock: `setTimeout`/`clearTimeout` (tests pass a fake one). */
export interface Clock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/**
 * Sends the notification for `place`; returns whether it was sent (false: no running client,
 * or the place no longer qualifies), so a place not sent may be sent at its next rest.
 */
export type SendPrewarm = (place: CursorPlace) => boolean;

function samePlace(a: CursorPlace | undefined, b: CursorPlace): boolean {
  return a !== undefined && a.uri === b.uri && a.version === b.version && a.line === b.line && a.character === b.character;
}

/**
 * Debounces cursor events into pre-warm notifications.
 *
 * - `moved`: the selection changed. When the document's version changed since the last event
 *   seen for it, the movement was an edit (typing, undo, a fill): the pending notification is
 *   dropped and none is scheduled; the inline-completion request for that edit warms the server
 *   already. Otherwise the timer restarts at `delayMs`.
 * - `focused`: an editor gained focus: the timer restarts at `delayMs`, edit or not.
 * - `left`: the place no longer qualifies (a non-empty selection, a document the client does
 *   not handle, RepoFill or the pre-warm off, no active editor): the pending notification is
 *   dropped.
 *
 * When the timer fires, the place is sent unless it is the one sent last (same URI, position
 * and version).
 */
export class PrewarmScheduler {
  private timer: unknown;
  private pending: CursorPlace | undefined;
  private lastSent: CursorPlace | undefined;
  private readonly versions = new Map<string, number>();

  constructor(
    private readonly send: SendPrewarm,
    private readonly clock: Clock = realClock,
    private readonly delayMs: number = PREWARM_DELAY_MS,
  ) {}

  moved(place: CursorPlace): void {
    const previous = this.versions.get(place.uri);
    this.versions.set(place.uri, place.version);
    if (previous !== undefined && previous !== place.version) {
      this.cancel();
      return;
    }
    this.schedule(place);
  }

  focused(place: CursorPlace): void {
    this.versions.set(place.uri, place.version);
    this.schedule(place);
  }

  /** The place `uri` stands at now no longer qualifies; `version` (when known) is its document's. */
  left(uri?: string, version?: number): void {
    if (uri !== undefined && version !== undefined) {
      this.versions.set(uri, version);
    }
    this.cancel();
  }

  /** A document closed: forget its version. */
  closed(uri: string): void {
    this.versions.delete(uri);
    if (this.pending?.uri === uri) {
      this.cancel();
    }
  }

  /** Whether a notification is scheduled. */
  get scheduled(): boolean {
    return this.pending !== undefined;
  }

  dispose(): void {
    this.cancel();
  }

  private schedule(place: CursorPlace): void {
    this.cancel();
    this.pending = place;
    this.timer = this.clock.setTimeout(() => {
      this.fire();
    }, this.delayMs);
  }

  private cancel(): void {
    if (this.pending !== undefined) {
      this.clock.clearTimeout(this.timer);
    }
    this.pending = undefined;
    this.timer = undefined;
  }

  private fire(): void {
    const place = this.pending;
    this.pending = undefined;
    this.timer = undefined;
    if (place === undefined || samePlace(this.lastSent, place)) {
      return;
    }
    if (this.send(place)) {
      this.lastSent = place;
    }
  }
}

/** What decides whether a cursor place qualifies for a pre-warm. */
export interface PrewarmConditions {
  /** `repofill.prewarm`. */
  readonly prewarm: unknown;
  /** RepoFill is enabled for the document's language (`completesLanguage`). */
  readonly completes: boolean;
  /** The language client handles the document (its document selector matches). */
  readonly handled: boolean;
  /** The selection is empty (a cursor, not a range). */
  readonly emptySelection: boolean;
}

/** Whether to pre-warm at a place: `repofill.prewarm` (default true) on, RepoFill enabled there, a document the client handles, no selection. */
export function prewarmWanted(c: PrewarmConditions): boolean {
  return c.prewarm !== false && c.completes && c.handled && c.emptySelection;
}
