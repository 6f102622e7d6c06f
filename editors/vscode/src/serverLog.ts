/**
 * The server's stderr in the output channel at the level each line was logged at. The server
 * logs with Python's logging, format `%(asctime)s %(levelname)s %(name)s: %(message)s`
 * (repofill/lsp/cli.py); a line without a level (a traceback's continuation) keeps the level of
 * the record it belongs to, and text before any record (e.g. argparse's usage error) is an
 * error. Pure: no `vscode` import.
 */

export type LineLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const PYTHON_LEVELS: Readonly<Record<string, LineLevel>> = {
  DEBUG: 'debug',
  INFO: 'info',
  WARNING: 'warn',
  ERROR: 'error',
  CRITICAL: 'error',
};

// "2026-11-30 21:39:26,123 INFO repofill.lsp.server: message"
const RECORD = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) /;

/** The level of a stderr line, given the level of the line before it. */
export function lineLevel(line: string, previous: LineLevel): LineLevel {
  const match = RECORD.exec(line);
  const name = match?.[1];
  return name === undefined ? previous : (PYTHON_LEVELS[name] ?? previous);
}

/** A sink with one method per level (VS Code's `LogOutputChannel` is one). */
export type LevelSink = Record<LineLevel, (message: string) => void>;

/** Feeds stderr lines to `sink`, each at its level. */
export class StderrLevels {
  private level: LineLevel = 'error';

  constructor(private readonly sink: LevelSink) {}

  line(text: string): void {
    this.level = lineLevel(text, this.level);
    this.sink[this.level](text);
  }
}
