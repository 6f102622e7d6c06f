import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import { PREWARM_DELAY_MS, PrewarmScheduler, prewarmWanted, type Clock, type CursorPlace } from '../../src/prewarm';

/** A clock whose time moves only when the test says so. */
class FakeClock implements Clock {
  now = 0;
  private timers = new Map<number, { at: number; callback: () => void }>();
  private next = 0;

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.next;
    this.timers.set(id, { at: this.now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) {
        break;
      }
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].callback();
    }
    this.now = until;
  }
}

function setup(accept = true): { clock: FakeClock; sent: CursorPlace[]; scheduler: PrewarmScheduler } {
  const clock = new FakeClock();
  const sent: CursorPlace[] = [];
  const scheduler = new PrewarmScheduler((place) => {
    if (accept) {
      sent.push(place);
    }
    return accept;
  }, clock);
  return { clock, sent, scheduler };
}

const at = (line: number, character: number, version = 1, uri = 'file:///w/a.py'): CursorPlace => ({ uri, version, line, character });

describe('PrewarmScheduler', () => {
  it('sends once the cursor has rested 150 ms after a move', () => {
    const { clock, sent, scheduler } = setup();
    scheduler.moved(at(3, 4));
    clock.advance(PREWARM_DELAY_MS - 1);
    assert.deepEqual(sent, [], 'not before the rest');
    clock.advance(1);
    assert.deepEqual(sent, [at(3, 4)]);
  });

  it('debounces a run of moves (arrow keys held) into one notification for the last place', () => {
    const { clock, sent, scheduler } = setup();
    for (let line = 0; line < 10; line++) {
      scheduler.moved(at(line, 0));
      clock.advance(50);
    }
    assert.deepEqual(sent, []);
    clock.advance(PREWARM_DELAY_MS);
    assert.deepEqual(sent, [at(9, 0)]);
  });

  it('typing (the version changes with each selection event) sends nothing, and cancels a pending move', () => {
    const { clock, sent, scheduler } = setup();
    scheduler.moved(at(5, 0, 1));
    clock.advance(100);
    // each key: the document's version went up before the cursor moved
    for (let i = 1; i <= 8; i++) {
      scheduler.moved(at(5, i, 1 + i));
      clock.advance(60);
    }
    clock.advance(5000);
    assert.deepEqual(sent, [], 'no notification per key, none after the typing rests either');
    assert.equal(scheduler.scheduled, false);
  });

  it('a move after typing (same version as the last edit) is a move again', () => {
    const { clock, sent, scheduler } = setup();
    scheduler.moved(at(1, 0, 1));
    scheduler.moved(at(1, 1, 2)); // typed
    scheduler.moved(at(7, 0, 2)); // clicked elsewhere
    clock.advance(PREWARM_DELAY_MS);
    assert.deepEqual(sent, [at(7, 0, 2)]);
  });

  it('focus sends after 150 ms even when the document changed while the editor was away', () => {
    const { clock, sent, scheduler } = setup();
    scheduler.moved(at(2, 0, 1));
    clock.advance(PREWARM_DELAY_MS);
    scheduler.focused(at(0, 0, 1, 'file:///w/b.py'));
    clock.advance(PREWARM_DELAY_MS);
    scheduler.focused(at(2, 0, 4)); // back to a.py, edited elsewhere meanwhile
    clock.advance(PREWARM_DELAY_MS);
    assert.deepEqual(sent, [at(2, 0, 1), at(0, 0, 1, 'file:///w/b.py'), at(2, 0, 4)]);
  });

  it('never twice in a row for the same uri, position and version', () => {
    const { clock, sent, scheduler } = setup();
    scheduler.focused(at(4, 2));
    clock.advance(PREWARM_DELAY_MS);
    scheduler.moved(at(4, 2)); // e.g. the selection event that follows the focus
    clock.advance(PREWARM_DELAY_MS);
    scheduler.focused(at(4, 2));
    clock.advance(PREWARM_DELAY_MS);
    assert.deepEqual(sent, [at(4, 2)]);
    scheduler.moved(at(4, 3));
    clock.advance(PREWARM_DELAY_MS);
    scheduler.moved(at(4, 2)); // back: a different place than the last one sent
    clock.advance(PREWARM_DELAY_MS);
    assert.deepEqual(sent, [at(4, 2), at(4, 3), at(4, 2)]);
  });

  it('a place that no longer qualifies (a selection, the pre-warm off) drops the pending notification', () => {
    const { clock, sent, scheduler } = setup();
    scheduler.moved(at(1, 1));
    clock.advance(100);
    scheduler.left('file:///w/a.py', 1);
    clock.advance(PREWARM_DELAY_MS);
    assert.deepEqual(sent, []);
  });

  it('left() records the version, so an edit while selecting is still seen as an edit', () => {
    const { clock, sent, scheduler } = setup();
    scheduler.moved(at(1, 1, 1));
    scheduler.left('file:///w/a.py', 2); // the selection replaced by typing, say
    scheduler.moved(at(1, 2, 2)); // same version as recorded: a move
    clock.advance(PREWARM_DELAY_MS);
    assert.deepEqual(sent, [at(1, 2, 2)]);
  });

  it('a place the client could not send is tried again at its next rest', () => {
    let accept = false;
    const clock = new FakeClock();
    const sent: CursorPlace[] = [];
    const scheduler = new PrewarmScheduler((place) => {
      if (accept) {
        sent.push(place);
      }
      return accept;
    }, clock);
    scheduler.focused(at(0, 0));
    clock.advance(PREWARM_DELAY_MS);
    accept = true; // the client is running now
    scheduler.focused(at(0, 0));
    clock.advance(PREWARM_DELAY_MS);
    assert.deepEqual(sent, [at(0, 0)]);
  });

  it('closing the document drops its pending notification; dispose drops any', () => {
    const { clock, sent, scheduler } = setup();
    scheduler.moved(at(1, 1));
    scheduler.closed('file:///w/a.py');
    clock.advance(PREWARM_DELAY_MS);
    scheduler.moved(at(2, 2, 1, 'file:///w/b.py'));
    scheduler.dispose();
    clock.advance(PREWARM_DELAY_MS);
    assert.deepEqual(sent, []);
  });
});

describe('prewarmWanted', () => {
  const yes = { prewarm: true, completes: true, handled: true, emptySelection: true };

  it('pre-warms a cursor in a handled, enabled document with the setting on (default)', () => {
    assert.equal(prewarmWanted(yes), true);
    assert.equal(prewarmWanted({ ...yes, prewarm: undefined }), true, 'unset: the default, on');
  });

  it('not with the setting off, RepoFill off for the language, a document the client skips, or a selection', () => {
    assert.equal(prewarmWanted({ ...yes, prewarm: false }), false);
    assert.equal(prewarmWanted({ ...yes, completes: false }), false);
    assert.equal(prewarmWanted({ ...yes, handled: false }), false);
    assert.equal(prewarmWanted({ ...yes, emptySelection: false }), false);
  });
});
