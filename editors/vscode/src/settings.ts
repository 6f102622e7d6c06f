/**
 * The `repofill.*` settings: what the server receives (docs/protocol.md, "Settings") and how
 * the server process is launched. Pure: no `vscode` import, so plain Node can test it.
 */

export type Multiline = 'auto' | 'always' | 'never';
export type Strategy = 'auto' | 'greedy' | 'rerank' | 'fim';
export type BackendKind = 'local' | 'llama-server' | 'openai';
export type KvCacheType = 'f16' | 'q8_0' | 'q4_0';
/** llama.cpp threads: `auto` (the server picks per request from the CPU load) or a positive count. */
export type Threads = 'auto' | number;

/** The settings object the server receives in `initializationOptions` and `didChangeConfiguration`. */
export interface ServerSettings {
  enabled: boolean;
  modelPath: string;
  model: string;
  maxLines: number;
  multiline: Multiline;
  maxTokens: number;
  deadlineMs: number;
  languages: string[];
  contextBudget: number;
  candidates: number;
  strategy: Strategy;
  debounceMs: number;
  backend: BackendKind;
  remoteUrl: string;
  remoteApiKeyEnv: string;
  remoteModel: string;
  remoteTimeoutMs: number;
  remoteFimFormat: string;
  nGpuLayers: number;
  flashAttn: boolean;
  kvCacheType: KvCacheType;
  threads: Threads;
}

/** How to start the server process. */
export interface LaunchSettings {
  command: string;
  args: string[];
  pythonPath: string;
}

/** A resolved command line. */
export interface CommandLine {
  command: string;
  args: string[];
}

/** Reads one setting below the `repofill` section, e.g. `get('maxLines')`; undefined when unset. */
export type ConfigReader = (key: string) => unknown;

export const SERVER_DEFAULTS: Readonly<ServerSettings> = Object.freeze({
  enabled: true,
  modelPath: '',
  model: '',
  maxLines: 8,
  multiline: 'auto',
  maxTokens: 64,
  deadlineMs: 2000,
  languages: [],
  contextBudget: 512,
  candidates: 1,
  strategy: 'auto',
  debounceMs: 20,
  backend: 'local',
  remoteUrl: '',
  remoteApiKeyEnv: '',
  remoteModel: '',
  remoteTimeoutMs: 10_000,
  remoteFimFormat: 'auto',
  nGpuLayers: -1,
  flashAttn: false,
  kvCacheType: 'f16',
  threads: 'auto',
});

export const LAUNCH_DEFAULTS: Readonly<LaunchSettings> = Object.freeze({
  command: 'repofill',
  args: ['serve'],
  pythonPath: '',
});

/** The module whose `main()` is the `repofill` console script (pyproject.toml). */
export const PYTHON_MODULE = 'repofill.lsp.cli';

/** Setting keys (below `repofill.`) whose change needs a new server process. */
export const RESTART_KEYS: readonly string[] = ['server.command', 'server.args', 'server.pythonPath'];

/** Setting keys (below `repofill.`) that the server reads. */
export const SERVER_KEYS: readonly (keyof ServerSettings)[] = Object.keys(SERVER_DEFAULTS) as (keyof ServerSettings)[];

function bool(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

function str(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function intAtLeast(value: unknown, min: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= min ? Math.floor(value) : fallback;
}

function nonNegativeInt(value: unknown, fallback: number): number {
  return intAtLeast(value, 0, fallback);
}

function oneOf<T extends string>(value: unknown, choices: readonly T[], fallback: T): T {
  return typeof value === 'string' && (choices as readonly string[]).includes(value) ? (value as T) : fallback;
}

function strings(value: unknown, fallback: readonly string[]): string[] {
  if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) {
    return value.map((v) => v.trim()).filter((v) => v.length > 0);
  }
  return [...fallback];
}

/**
 * `repofill.threads`: `"auto"`, or a positive whole number given as a number or as a string of
 * digits (sent as a number); anything else (0, -1, 2.5, "many", true) falls back to `fallback`.
 */
export function readThreads(value: unknown, fallback: Threads): Threads {
  const text = typeof value === 'string' ? value.trim() : undefined;
  if (text === 'auto') {
    return 'auto';
  }
  const count = text !== undefined && /^\d+$/.test(text) ? Number(text) : value;
  return typeof count === 'number' && Number.isSafeInteger(count) && count >= 1 ? count : fallback;
}

/** The server settings from the editor's configuration; a missing or malformed value falls back to its default. */
export function readServerSettings(get: ConfigReader): ServerSettings {
  const d = SERVER_DEFAULTS;
  return {
    enabled: bool(get('enabled'), d.enabled),
    modelPath: str(get('modelPath'), d.modelPath).trim(),
    model: str(get('model'), d.model).trim(),
    maxLines: nonNegativeInt(get('maxLines'), d.maxLines),
    multiline: oneOf(get('multiline'), ['auto', 'always', 'never'], d.multiline),
    maxTokens: nonNegativeInt(get('maxTokens'), d.maxTokens),
    deadlineMs: nonNegativeInt(get('deadlineMs'), d.deadlineMs),
    languages: strings(get('languages'), d.languages),
    contextBudget: nonNegativeInt(get('contextBudget'), d.contextBudget),
    candidates: Math.max(1, nonNegativeInt(get('candidates'), d.candidates)),
    strategy: oneOf(get('strategy'), ['auto', 'greedy', 'rerank', 'fim'], d.strategy),
    debounceMs: nonNegativeInt(get('debounceMs'), d.debounceMs),
    backend: oneOf(get('backend'), ['local', 'llama-server', 'openai'], d.backend),
    remoteUrl: str(get('remoteUrl'), d.remoteUrl).trim(),
    remoteApiKeyEnv: str(get('remoteApiKeyEnv'), d.remoteApiKeyEnv).trim(),
    remoteModel: str(get('remoteModel'), d.remoteModel).trim(),
    remoteTimeoutMs: nonNegativeInt(get('remoteTimeoutMs'), d.remoteTimeoutMs),
    remoteFimFormat: str(get('remoteFimFormat'), d.remoteFimFormat).trim() || d.remoteFimFormat,
    nGpuLayers: intAtLeast(get('nGpuLayers'), -1, d.nGpuLayers),
    flashAttn: bool(get('flashAttn'), d.flashAttn),
    kvCacheType: oneOf(get('kvCacheType'), ['f16', 'q8_0', 'q4_0'], d.kvCacheType),
    threads: readThreads(get('threads'), d.threads),
  };
}

export function readLaunchSettings(get: ConfigReader): LaunchSettings {
  const d = LAUNCH_DEFAULTS;
  const command = str(get('server.command'), d.command).trim();
  return {
    command: command.length > 0 ? command : d.command,
    args: strings(get('server.args'), d.args),
    pythonPath: str(get('server.pythonPath'), d.pythonPath).trim(),
  };
}

/** The process to spawn: `<python> -m repofill.lsp.cli <args>` when a Python interpreter is set, else `<command> <args>`. */
export function commandLine(launch: LaunchSettings): CommandLine {
  if (launch.pythonPath.length > 0) {
    return { command: launch.pythonPath, args: ['-m', PYTHON_MODULE, ...launch.args] };
  }
  return { command: launch.command, args: [...launch.args] };
}

/** A command line as a user would type it, for messages. */
export function describeCommandLine(line: CommandLine): string {
  const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [line.command, ...line.args].map(quote).join(' ');
}

/** Whether to ask the server at all for a document of this language (the server filters too). */
export function completesLanguage(settings: ServerSettings, languageId: string): boolean {
  return settings.enabled && (settings.languages.length === 0 || settings.languages.includes(languageId));
}

export type ChangeKind = 'none' | 'settings' | 'restart';

/**
 * What a configuration change means. `affects(key)` answers whether `repofill.<key>` changed
 * (VS Code's `ConfigurationChangeEvent.affectsConfiguration`).
 */
export function classifyChange(affects: (key: string) => boolean): ChangeKind {
  if (RESTART_KEYS.some(affects)) {
    return 'restart';
  }
  if (SERVER_KEYS.some((key) => affects(key))) {
    return 'settings';
  }
  return 'none';
}

interface ManifestProperty {
  default?: unknown;
}

interface Manifest {
  contributes?: { configuration?: { properties?: Record<string, ManifestProperty> } };
}

/**
 * A reader that answers each setting with its default from the extension manifest
 * (`contributes.configuration`), optionally overridden: what a fresh VS Code would read.
 */
export function manifestReader(manifest: unknown, overrides: Record<string, unknown> = {}): ConfigReader {
  const properties = (manifest as Manifest).contributes?.configuration?.properties ?? {};
  return (key: string): unknown => {
    if (Object.prototype.hasOwnProperty.call(overrides, key)) {
      return overrides[key];
    }
    return properties[`repofill.${key}`]?.default;
  };
}

/** How long a change to the server command line waits for the next one before it applies (ms):
 * the Settings editor writes a text field while the user is still typing in it. */
export const RESTART_DELAY_MS = 2500;

/**
 * What a (settled) change to the server command line does: restart with the new command when
 * it exists; when it does not and a server is running, keep that one (the value is probably
 * half-typed; the log says why); with no server running, start, which reports the missing
 * command once.
 */
export function restartDecision(commandFound: boolean, running: boolean): 'restart' | 'keep' {
  return commandFound || !running ? 'restart' : 'keep';
}

/** Whether `repofill.trace.server` asks for LSP traffic in the log. */
export function traceRequested(value: unknown): boolean {
  return value === 'messages' || value === 'verbose';
}
