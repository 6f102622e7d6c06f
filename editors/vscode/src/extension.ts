/**
 * The VS Code extension: starts `repofill serve` through vscode-languageclient (which registers
 * the inline completion provider), shows the server's state in the status bar, forwards settings
 * and offers RepoFill's commands. The decisions live in the pure modules next to this one.
 */

import * as readline from 'node:readline';
import type { Readable } from 'node:stream';

import * as vscode from 'vscode';
import {
  CloseAction,
  type CloseHandlerResult,
  DidChangeConfigurationNotification,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  MessageType,
  type ServerOptions,
  ShowMessageNotification,
  State,
} from 'vscode-languageclient/node';

import { CrashTracker, failureMessage } from './errors';
import {
  fillHoleNotice,
  holeArgument,
  inlineCompletionMiddleware,
  parseContextText,
  parseFillHoleResult,
  type FillChoice,
  type FillHoleResult,
} from './middleware';
import { routeServerError, settingForServerError, settingsQuery, ShownErrors } from './notices';
import { watchCursorRests } from './prewarmEditor';
import { StderrLevels } from './serverLog';
import {
  classifyChange,
  commandLine,
  describeCommandLine,
  readLaunchSettings,
  readServerSettings,
  RESTART_DELAY_MS,
  restartDecision,
  type ServerSettings,
  traceRequested,
} from './settings';
import { resolveExecutable, ServerStartError, spawnServer, type ServerProcess } from './spawn';
import { COMMAND_SHOW_LOG, COMMAND_TOGGLE, initialStatus, reduceStatus, statusView, type StatusEvent, type StatusModel } from './status';

const SECTION = 'repofill';
const SHOW_LOG = 'Show Log';
const OPEN_SETTINGS = 'Open Settings';
const OTHER_CANDIDATES = 'Other Candidates…';
const CONTEXT_SCHEME = 'repofill-context';
const COMMAND_OTHER_CANDIDATES = 'repofill.otherCandidates';

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

function currentSettings(): ServerSettings {
  const c = config();
  return readServerSettings((key) => c.get(key));
}

/**
 * The library's client, except that it never shows popups of its own: one failed request
 * ("Request textDocument/inlineCompletion failed."), a connection disposed while starting
 * ("Pending response rejected since connection got disposed") and the like go to the log only.
 * The extension decides what the user sees (`RepoFill.showError`).
 */
class QuietLanguageClient extends LanguageClient {
  override error(message: string, data?: unknown): void {
    super.error(message, data, false);
  }
}

/** Reads `stream` line by line into `handle`. */
function eachLine(stream: Readable, handle: (line: string) => void): void {
  readline.createInterface({ input: stream, crlfDelay: Infinity, terminal: false, historySize: 0 }).on('line', handle);
}

/**
 * The client's trace channel: the RepoFill output channel, with the log level the library reads
 * to decide whether to trace raised to Trace while `repofill.trace.server` asks for it, and trace
 * lines written at info level, so the traffic shows without raising the channel's level by hand.
 */
class TraceChannel implements vscode.LogOutputChannel {
  private readonly changed = new vscode.EventEmitter<vscode.LogLevel>();
  readonly onDidChangeLogLevel = this.changed.event;

  constructor(private readonly output: vscode.LogOutputChannel) {
    output.onDidChangeLogLevel(() => {
      this.changed.fire(this.logLevel);
    });
  }

  get name(): string {
    return this.output.name;
  }

  get logLevel(): vscode.LogLevel {
    return traceRequested(config().get('trace.server')) ? vscode.LogLevel.Trace : this.output.logLevel;
  }

  /** Call when `repofill.trace.server` changed: the client turns tracing on or off. */
  settingChanged(): void {
    this.changed.fire(this.logLevel);
  }

  trace(message: string, ...args: unknown[]): void {
    this.output.info(message, ...args);
  }

  debug(message: string, ...args: unknown[]): void {
    this.output.debug(message, ...args);
  }

  info(message: string, ...args: unknown[]): void {
    this.output.info(message, ...args);
  }

  warn(message: string, ...args: unknown[]): void {
    this.output.warn(message, ...args);
  }

  error(error: string | Error, ...args: unknown[]): void {
    this.output.error(error, ...args);
  }

  append(value: string): void {
    this.output.append(value);
  }

  appendLine(value: string): void {
    this.output.appendLine(value);
  }

  replace(value: string): void {
    this.output.replace(value);
  }

  clear(): void {
    this.output.clear();
  }

  show(preserveFocus?: boolean): void;
  show(column?: vscode.ViewColumn, preserveFocus?: boolean): void;
  show(columnOrPreserveFocus?: vscode.ViewColumn | boolean, preserveFocus?: boolean): void {
    this.output.show(typeof columnOrPreserveFocus === 'boolean' ? columnOrPreserveFocus : preserveFocus);
  }

  hide(): void {
    this.output.hide();
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/**
 * "Show Context" documents: read-only virtual documents (scheme `repofill-context`), one per
 * source file, refreshed when asked again. They are not synchronised with the server (the
 * client's document selector is `file` and `untitled`), so closing one sends nothing.
 */
class ContextDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly closing = vscode.workspace.onDidCloseTextDocument((document) => {
    if (document.uri.scheme === CONTEXT_SCHEME) {
      this.texts.delete(document.uri.toString());
    }
  });

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  /** The document for `source`'s context, holding `text`. */
  set(source: vscode.Uri, text: string): vscode.Uri {
    const name = source.path.split('/').pop() ?? 'document';
    const uri = vscode.Uri.from({ scheme: CONTEXT_SCHEME, path: `/RepoFill context for ${name}`, query: source.toString() });
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
    return uri;
  }

  dispose(): void {
    this.closing.dispose();
    this.changed.dispose();
  }
}

/** The last fill: its document and candidates, so another candidate can take its place. */
interface LastFill {
  readonly uri: string;
  readonly choices: readonly FillChoice[];
  readonly index: number;
}

class RepoFill implements vscode.Disposable {
  private readonly output: vscode.LogOutputChannel;
  private readonly item: vscode.StatusBarItem;
  private model: StatusModel;
  private client: LanguageClient | undefined;
  private server: ServerProcess | undefined;
  private crashes = new CrashTracker();
  private stopping = false;
  private readonly shownErrors = new ShownErrors();
  private readonly traceChannel: TraceChannel;
  readonly contexts = new ContextDocuments();
  private restartTimer: NodeJS.Timeout | undefined;
  private lastFill: LastFill | undefined;

  constructor() {
    this.output = vscode.window.createOutputChannel('RepoFill', { log: true });
    this.traceChannel = new TraceChannel(this.output);
    this.item = vscode.window.createStatusBarItem('repofill.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'RepoFill';
    this.model = initialStatus(currentSettings().enabled);
    this.render();
  }

  dispose(): void {
    clearTimeout(this.restartTimer);
    this.contexts.dispose();
    this.traceChannel.dispose();
    this.item.dispose();
    this.output.dispose();
  }

  private dispatch(event: StatusEvent): void {
    const before = statusView(this.model).shown;
    this.model = reduceStatus(this.model, event);
    this.render();
    const now = statusView(this.model).shown;
    if (now !== before && (now === 'ready' || now === 'working' || now === 'disabled')) {
      this.problemsGone();
    }
  }

  /** The server works again: error popups of ours still on screen are stale; hide them, and
   * show a cause again should it come back. */
  private problemsGone(): void {
    if (this.shownErrors.reset() > 0) {
      void vscode.commands.executeCommand('notifications.hideToasts');
    }
  }

  private render(): void {
    const view = statusView(this.model);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.command = view.command;
    this.item.backgroundColor =
      view.background === undefined ? undefined : new vscode.ThemeColor(`statusBarItem.${view.background}Background`);
  }

  /**
   * An error notification with the log and the setting in question one click away; each cause
   * once until the server is ready again.
   */
  private async showError(message: string, setting: string): Promise<void> {
    this.output.error(message);
    if (!this.shownErrors.first(message)) {
      return;
    }
    this.shownErrors.opened();
    let choice: string | undefined;
    try {
      choice = await vscode.window.showErrorMessage(message, SHOW_LOG, OPEN_SETTINGS);
    } finally {
      this.shownErrors.closed();
    }
    if (choice === SHOW_LOG) {
      this.output.show(true);
    } else if (choice === OPEN_SETTINGS) {
      await vscode.commands.executeCommand('workbench.action.openSettings', settingsQuery(setting));
    }
  }

  /** The setting that names the server command in use. */
  private commandSetting(): string {
    const pythonPath = config().get<string>('server.pythonPath') ?? '';
    return pythonPath.trim().length > 0 ? 'repofill.server.pythonPath' : 'repofill.server.command';
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.dispatch({ type: 'clientStarting' });
    const c = config();
    const line = commandLine(readLaunchSettings((key) => c.get(key)));
    const description = describeCommandLine(line);
    const cwd = workspaceDirectory();
    this.output.info(`starting ${description}`);
    if (resolveExecutable(line.command, process.env, cwd) === undefined) {
      // Checked here, before the client exists, so the user gets one clear message.
      const message = failureMessage({ kind: 'notFound', command: line.command });
      this.dispatch({ type: 'clientFailed', message });
      this.item.show();
      void this.showError(message, this.commandSetting());
      return;
    }

    const serverOptions: ServerOptions = async () => {
      const server = await spawnServer(line, { cwd });
      this.server = server;
      return server.process;
    };
    const stderr = new StderrLevels(this.output);
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
      outputChannel: this.output,
      traceOutputChannel: this.traceChannel,
      stdioOptions: {
        stdout: (input) => {
          eachLine(input, (line) => {
            this.output.info(line);
          });
        },
        // The server's log records at their own levels (not all as errors).
        stderr: (input) => {
          eachLine(input, (line) => {
            stderr.line(line);
          });
        },
      },
      initializationOptions: () => currentSettings(),
      // A failed `initialize` (usually a server that exited while starting): logged here, and
      // `start()` shows one message with the server's own error (the library would show its
      // "Pending response rejected since connection got disposed").
      initializationFailedHandler: (error) => {
        this.output.error(`initialize failed: ${error instanceof Error ? error.message : String(error)}`);
        return false;
      },
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue, handled: true }),
        closed: () => this.onClosed(),
      },
      middleware: {
        provideInlineCompletionItems: inlineCompletionMiddleware({
          settings: currentSettings,
          started: () => {
            this.dispatch({ type: 'requestStarted' });
          },
          finished: () => {
            this.dispatch({ type: 'requestFinished' });
          },
          failed: (error) => {
            this.output.warn(`an inline completion request failed: ${error instanceof Error ? error.message : String(error)}`);
          },
        }),
      },
    };
    const client = new QuietLanguageClient('repofill', 'RepoFill', serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((e) => {
      if (client !== this.client) {
        return;
      }
      if (e.newState === State.Running) {
        this.dispatch({ type: 'clientRunning' });
      } else if (e.newState === State.Starting) {
        this.dispatch({ type: 'clientStarting' });
      }
    });
    client.onNotification('repofill/status', (params: { state?: unknown; message?: unknown }) => {
      this.dispatch({ type: 'serverStatus', state: params.state, message: params.message });
      if (params.state === 'error' && typeof params.message === 'string' && params.message.length > 0) {
        // Needs the user (a model that cannot be used): shown once per cause.
        void this.showError(`RepoFill: ${params.message.replace(/^RepoFill:\s*/, '')}`, settingForServerError(currentSettings()));
      }
    });
    // Replaces the library's plain notification: server errors get "Show Log" and "Open
    // Settings"; the error of one completion request is logged only.
    client.onNotification(ShowMessageNotification.type, (params) => {
      if (params.type === MessageType.Error) {
        const standing = this.model.server === 'error' ? this.model.serverMessage : undefined;
        if (routeServerError(params.message, this.model.inflight, standing) === 'log') {
          this.output.warn(`a completion request failed: ${params.message}`);
        } else {
          void this.showError(params.message, settingForServerError(currentSettings()));
        }
      } else if (params.type === MessageType.Warning) {
        this.output.warn(params.message);
        void vscode.window.showWarningMessage(params.message);
      } else {
        this.output.info(params.message);
        void vscode.window.showInformationMessage(params.message);
      }
    });

    try {
      await client.start();
    } catch (error) {
      if (client === this.client) {
        const message = await this.describeStartFailure(error, description);
        this.dispatch({ type: 'clientFailed', message });
        this.item.show();
        void this.showError(message, error instanceof ServerStartError ? this.commandSetting() : 'repofill.server.args');
      }
      return;
    }
    this.dispatch({ type: 'enabled', value: currentSettings().enabled });
    this.item.show(); // shown once the provider is registered: end-to-end tests wait for it
    void this.fetchInfo(client);
  }

  private async describeStartFailure(error: unknown, description: string): Promise<string> {
    if (error instanceof ServerStartError) {
      return failureMessage(error.failure);
    }
    const server = this.server;
    if (server !== undefined) {
      const timeout = new Promise<undefined>((resolve) => {
        setTimeout(() => {
          resolve(undefined);
        }, 2000);
      });
      const exit = await Promise.race([server.exited, timeout]);
      if (exit !== undefined) {
        return failureMessage({ kind: 'exited', command: description, code: exit.code, signal: exit.signal, stderr: server.stderr.snapshot() });
      }
    }
    const detail = error instanceof Error ? error.message : String(error);
    return `RepoFill: the server "${description}" failed to start: ${detail}`;
  }

  private onClosed(): CloseHandlerResult {
    const client = this.client;
    if (this.stopping || client === undefined || client.state !== State.Running) {
      // Our own stop, or a failed start: `start()` reports the latter.
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    if (this.crashes.crashed(Date.now())) {
      this.output.warn('the server stopped; restarting it');
      return { action: CloseAction.Restart, handled: true };
    }
    const server = this.server;
    const message = failureMessage({
      kind: 'crashed',
      command: server?.description ?? 'repofill',
      count: this.crashes.count,
      minutes: Math.round(this.crashes.windowMs / 60_000),
      stderr: server?.stderr.snapshot() ?? [],
    });
    this.dispatch({ type: 'clientFailed', message });
    void this.showError(message, this.commandSetting());
    return { action: CloseAction.DoNotRestart, handled: true };
  }

  private async fetchInfo(client: LanguageClient): Promise<void> {
    try {
      const status = (await client.sendRequest(ExecuteCommandRequest.type, { command: 'repofill.status', arguments: [] })) as Record<string, unknown> | null;
      if (status !== null && typeof status === 'object') {
        this.output.info(`server status: ${JSON.stringify(status)}`);
      }
    } catch (error) {
      this.output.warn(`repofill.status failed: ${String(error)}`);
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.stopping = true;
    if (client !== undefined) {
      try {
        await client.dispose(3000); // stops it first when it runs
      } catch (error) {
        this.output.warn(`stopping the server: ${String(error)}`);
      }
    }
    this.server?.process.kill();
    this.server = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    this.crashes = new CrashTracker();
    await this.start();
  }

  /** The client while it runs, else undefined (no message): the pre-warm sends through it. */
  liveClient(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  private runningClient(): LanguageClient | undefined {
    if (this.client?.state === State.Running) {
      return this.client;
    }
    void this.showError('RepoFill: the server is not running. Use "RepoFill: Restart Server" or see the log.', this.commandSetting());
    return undefined;
  }

  async onConfigurationChanged(e: vscode.ConfigurationChangeEvent): Promise<void> {
    if (e.affectsConfiguration(`${SECTION}.trace.server`)) {
      this.traceChannel.settingChanged();
    }
    const kind = classifyChange((key) => e.affectsConfiguration(`${SECTION}.${key}`));
    if (kind === 'restart') {
      this.scheduleRestart();
    } else if (kind === 'settings') {
      const settings = currentSettings();
      this.dispatch({ type: 'enabled', value: settings.enabled });
      if (this.client?.state === State.Running) {
        await this.client.sendNotification(DidChangeConfigurationNotification.type, { settings: { [SECTION]: settings } });
      }
    }
  }

  /**
   * Restarts with the new command line once it stopped changing for `RESTART_DELAY_MS` (the
   * Settings editor saves while the user types) and only when its command exists, unless no
   * server runs anyway.
   */
  private scheduleRestart(): void {
    clearTimeout(this.restartTimer);
    this.output.info(`the server command line changed; restarting once it stays the same for ${RESTART_DELAY_MS} ms`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      const c = config();
      const line = commandLine(readLaunchSettings((key) => c.get(key)));
      const found = resolveExecutable(line.command, process.env, workspaceDirectory()) !== undefined;
      if (restartDecision(found, this.client?.state === State.Running) === 'keep') {
        this.output.warn(`not restarting: "${line.command}" was not found or is not executable; the running server stays`);
        return;
      }
      void this.restart();
    }, RESTART_DELAY_MS);
  }

  async toggle(): Promise<void> {
    const c = config();
    const inspected = c.inspect<boolean>('enabled');
    const target =
      inspected?.workspaceFolderValue !== undefined
        ? vscode.ConfigurationTarget.WorkspaceFolder
        : inspected?.workspaceValue !== undefined
          ? vscode.ConfigurationTarget.Workspace
          : vscode.ConfigurationTarget.Global;
    await c.update('enabled', !currentSettings().enabled, target);
  }

  /**
   * Fill Hole: the server fills the hole (`repofill.fillHole`, applied through
   * `workspace/applyEdit`); the cursor then goes to the end of the inserted text (the result's
   * `cursor`), and the other candidates are one click away ("Other Candidates…").
   */
  async fillHole(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const client = this.runningClient();
    if (editor === undefined || client === undefined) {
      return;
    }
    const uri = client.code2ProtocolConverter.asUri(editor.document.uri);
    const argument = holeArgument(uri, editor.selection);
    const raw: unknown = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'RepoFill: filling the hole' },
      () => client.sendRequest(ExecuteCommandRequest.type, { command: 'repofill.fillHole', arguments: [argument] }),
    );
    const result = this.afterFill(client, editor, uri, raw);
    if (result.applied && result.choices.length > 1) {
      const choice = await vscode.window.showInformationMessage(
        `RepoFill: filled with candidate ${result.index + 1} of ${result.choices.length}.`,
        OTHER_CANDIDATES,
      );
      if (choice === OTHER_CANDIDATES) {
        await this.otherCandidates();
      }
    }
  }

  /** Reads a fill result: the cursor after the inserted text, the candidates remembered, or why nothing happened. */
  private afterFill(client: LanguageClient, editor: vscode.TextEditor, uri: string, raw: unknown): FillHoleResult {
    const result = parseFillHoleResult(raw);
    const notice = fillHoleNotice(result);
    if (notice !== undefined) {
      void vscode.window.showInformationMessage(notice);
      return result;
    }
    this.lastFill = { uri, choices: result.choices, index: result.index };
    if (result.cursor !== undefined && vscode.window.activeTextEditor === editor) {
      const cursor = client.protocol2CodeConverter.asPosition(result.cursor);
      editor.selection = new vscode.Selection(cursor, cursor);
      editor.revealRange(new vscode.Range(cursor, cursor));
    }
    return result;
  }

  /** A quick pick of the last fill's candidates; the chosen one replaces the inserted text
   * (`repofill.applyFillCandidate`: no undo, no model run). */
  async otherCandidates(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const fill = this.lastFill;
    const client = this.runningClient();
    if (editor === undefined || client === undefined) {
      return;
    }
    const uri = client.code2ProtocolConverter.asUri(editor.document.uri);
    if (fill?.uri !== uri || fill.choices.length < 2) {
      void vscode.window.showInformationMessage('RepoFill: no fill with other candidates in this file. Use "RepoFill: Fill Hole" first.');
      return;
    }
    const items = fill.choices.map((choice) => ({
      label: choice.label,
      description: choice.index === fill.index ? 'in the file' : `candidate ${choice.index + 1} of ${fill.choices.length}`,
      detail: choice.text.includes('\n') ? `${choice.text.split('\n').length} lines` : undefined,
      index: choice.index,
    }));
    const picked = await vscode.window.showQuickPick(items, { title: 'RepoFill: fill the hole with' });
    if (picked === undefined || picked.index === fill.index) {
      return;
    }
    const raw: unknown = await client.sendRequest(ExecuteCommandRequest.type, {
      command: 'repofill.applyFillCandidate',
      arguments: [{ uri, index: picked.index }],
    });
    this.afterFill(client, editor, uri, raw);
  }

  async showContext(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const client = this.runningClient();
    if (editor === undefined || client === undefined) {
      return;
    }
    const uri = client.code2ProtocolConverter.asUri(editor.document.uri);
    const position = { line: editor.selection.active.line, character: editor.selection.active.character };
    const raw: unknown = await client.sendRequest(ExecuteCommandRequest.type, { command: 'repofill.showContext', arguments: [{ uri, position }] });
    const text = parseContextText(raw);
    const contextUri = this.contexts.set(editor.document.uri, text.length > 0 ? text : '(no repository context for this cursor)');
    const document = await vscode.workspace.openTextDocument(contextUri);
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
  }

  showLog(): void {
    this.output.show(true);
  }
}

/** The first workspace folder on disk: the server's working directory. */
function workspaceDirectory(): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined;
}

let repofill: RepoFill | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const instance = new RepoFill();
  repofill = instance;
  context.subscriptions.push(
    instance,
    vscode.commands.registerCommand(COMMAND_TOGGLE, () => instance.toggle()),
    vscode.commands.registerCommand('repofill.fillHoleHere', () => instance.fillHole()),
    vscode.commands.registerCommand('repofill.showContextHere', () => instance.showContext()),
    vscode.commands.registerCommand(COMMAND_OTHER_CANDIDATES, () => instance.otherCandidates()),
    vscode.workspace.registerTextDocumentContentProvider(CONTEXT_SCHEME, instance.contexts),
    vscode.commands.registerCommand('repofill.restartServer', () => instance.restart()),
    vscode.commands.registerCommand(COMMAND_SHOW_LOG, () => {
      instance.showLog();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => instance.onConfigurationChanged(e)),
  );
  await instance.start();
  context.subscriptions.push(watchCursorRests(() => instance.liveClient(), SECTION));
}

export async function deactivate(): Promise<void> {
  await repofill?.stop();
  repofill = undefined;
}
