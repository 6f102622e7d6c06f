/**
 * Starting the server process. Node only (no `vscode` import): the extension and the protocol
 * test start the server through this same code.
 */

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { StderrTail, type ServerFailure } from './errors';
import { describeCommandLine, type CommandLine } from './settings';

/** A start failure with a user-facing description. */
export class ServerStartError extends Error {
  constructor(readonly failure: ServerFailure, message: string) {
    super(message);
    this.name = 'ServerStartError';
  }
}

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    fs.accessSync(file, process.platform === 'win32' ? fs.constants.F_OK : fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path of `command`, searched on PATH unless it contains a path separator;
 * undefined when there is no executable file by that name.
 */
export function resolveExecutable(command: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  const expanded = command.startsWith('~/') ? path.join(env.HOME ?? '', command.slice(2)) : command;
  const extensions = process.platform === 'win32' ? ['', ...(env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  if (expanded.includes('/') || expanded.includes(path.sep)) {
    const absolute = path.resolve(cwd, expanded);
    return extensions.map((ext) => absolute + ext).find(isExecutableFile);
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir.length === 0) {
      continue;
    }
    for (const ext of extensions) {
      const candidate = path.join(dir, expanded + ext);
      if (isExecutableFile(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

/** A running server process and what it wrote to stderr. */
export interface ServerProcess {
  readonly process: ChildProcessWithoutNullStreams;
  readonly stderr: StderrTail;
  /** The command line as shown to users. */
  readonly description: string;
  /** Resolves when the process has exited and closed its pipes (so `stderr` holds all it wrote). */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Receives each stderr chunk (the extension forwards it to its log). */
  onStderr?: (chunk: string) => void;
}

/**
 * Spawns `line` with piped stdio. Rejects with a `ServerStartError` when the command does not
 * exist or cannot be spawned; a process that starts and then exits is reported through `exited`.
 */
export async function spawnServer(line: CommandLine, options: SpawnOptions = {}): Promise<ServerProcess> {
  const env = options.env ?? process.env;
  const description = describeCommandLine(line);
  const resolved = resolveExecutable(line.command, env, options.cwd);
  if (resolved === undefined) {
    const failure: ServerFailure = { kind: 'notFound', command: line.command };
    throw new ServerStartError(failure, `"${line.command}" was not found or is not executable`);
  }
  const child: ChildProcessWithoutNullStreams = spawn(resolved, line.args, { cwd: options.cwd, env, stdio: 'pipe', windowsHide: true });
  const stderr = new StderrTail();
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr.push(chunk);
    options.onStderr?.(chunk);
  });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      resolve({ code, signal });
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => {
      resolve();
    });
    child.once('error', (error: Error) => {
      const failure: ServerFailure = { kind: 'spawnError', command: description, error: error.message };
      reject(new ServerStartError(failure, error.message));
    });
  });
  return { process: child, stderr, description, exited };
}
