/**
 * The VS Code extension: starts `repofill serve` through vscode-languageclient (which registers
 * the inline completion provider), shows the server's state in the status bar, forwards settings
 * and offers RepoFill's commands. The decisions live in the pure modules next to this one.
 */

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
import { fillHoleNotice, holeArgument, inlineCompletionMiddleware, parseContextText, parseFillHoleResult } from './middleware';
import {
  classifyChange,
  commandLine,
  describeCommandLine,
  readLaunchSettings,
  readServerSettings,
  type ServerSettings,
} from './settings';
import { resolveExecutable, ServerStartError, spawnServer, type ServerProcess } from './spawn';
import { COMMAND_SHOW_LOG, COMMAND_TOGGLE, initialStatus, reduceStatus, statusView, type StatusEvent, type StatusModel } from './status';

const SECTION = 'repofill';
const SHOW_LOG = 'Show Log';
const OPEN_SETTINGS = 'Open Settings';

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

function currentSettings(): ServerSettings {
  const c = config();
  return readServerSettings((key) => c.get(key));
}

class RepoFill implements vscode.Disposable {
  private readonly output: vscode.LogOutputChannel;
  private readonly item: vscode.StatusBarItem;
  private model: StatusModel;
  private client: LanguageClient | undefined;
  private server: ServerProcess | undefined;
  private crashes = new CrashTracker();
  private stopping = false;
  private shownErrors = new Set<string>();

  constructor() {
    this.output = vscode.window.createOutputChannel('RepoFill', { log: true });
    this.item = vscode.window.createStatusBarItem('repofill.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'RepoFill';
    this.model = initialStatus(currentSettings().enabled);
    this.render();
  }

  dispose(): void {
    this.item.dispose();
    this.output.dispose();
  }

  private dispatch(event: StatusEvent): void {
    this.model = reduceStatus(this.model, event);
    this.render();
  }

  private render(): void {
    const view = statusView(this.model);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.command = view.command;
    this.item.backgroundColor =
      view.background === undefined ? undefined : new vscode.ThemeColor(`statusBarItem.${view.background}Background`);
  }

  /** An error notification with the log one click away; each distinct message once per server start. */
  private async showError(message: string): Promise<void> {
    this.output.error(message);
    if (this.shownErrors.has(message)) {
      return;
    }
    this.shownErrors.add(message);
    const choice = await vscode.window.showErrorMessage(message, SHOW_LOG, OPEN_SETTINGS);
    if (choice === SHOW_LOG) {
      this.output.show(true);
    } else if (choice === OPEN_SETTINGS) {
      await vscode.commands.executeCommand('workbench.action.openSettings', SECTION);
    }
  }

  async start(): Promise<void> {
    this.stopping = false;
    this.shownErrors.clear();
    this.dispatch({ type: 'clientStarting' });
    const c = config();
    const line = commandLine(readLaunchSettings((key) => c.get(key)));
    const description = describeCommandLine(line);
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.scheme === 'file' ? vscode.workspace.workspaceFolders[0].uri.fsPath : undefined;
    this.output.info(`starting ${description}`);
    if (resolveExecutable(line.command, process.env, cwd) === undefined) {
      // Checked here, before the client exists, so the user gets one clear message.
      const message = failureMessage({ kind: 'notFound', command: line.command });
      this.dispatch({ type: 'clientFailed', message });
      this.item.show();
      void this.showError(message);
      return;
    }

    const serverOptions: ServerOptions = async () => {
      const server = await spawnServer(line, { cwd });
      this.server = server;
      return server.process;
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }],
      outputChannel: this.output,
      initializationOptions: () => currentSettings(),
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
        }),
      },
    };
    const client = new LanguageClient('repofill', 'RepoFill', serverOptions, clientOptions);
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
    });
    // Replaces the library's plain notification: server errors get a "Show Log" button.
    client.onNotification(ShowMessageNotification.type, (params) => {
      if (params.type === MessageType.Error) {
        void this.showError(params.message);
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
        void this.showError(message);
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
    void this.showError(message);
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

  private runningClient(): LanguageClient | undefined {
    if (this.client?.state === State.Running) {
      return this.client;
    }
    void this.showError('RepoFill: the server is not running. Use "RepoFill: Restart Server" or see the log.');
    return undefined;
  }

  async onConfigurationChanged(e: vscode.ConfigurationChangeEvent): Promise<void> {
    const kind = classifyChange((key) => e.affectsConfiguration(`${SECTION}.${key}`));
    if (kind === 'restart') {
      await this.restart();
    } else if (kind === 'settings') {
      const settings = currentSettings();
      this.dispatch({ type: 'enabled', value: settings.enabled });
      if (this.client?.state === State.Running) {
        await this.client.sendNotification(DidChangeConfigurationNotification.type, { settings: { [SECTION]: settings } });
      }
    }
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
    const notice = fillHoleNotice(parseFillHoleResult(raw));
    if (notice !== undefined) {
      void vscode.window.showInformationMessage(notice);
    }
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
    const document = await vscode.workspace.openTextDocument({ content: text.length > 0 ? text : '(no repository context for this cursor)', language: 'plaintext' });
    await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true });
  }

  showLog(): void {
    this.output.show(true);
  }
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
    vscode.commands.registerCommand('repofill.restartServer', () => instance.restart()),
    vscode.commands.registerCommand(COMMAND_SHOW_LOG, () => {
      instance.showLog();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => instance.onConfigurationChanged(e)),
  );
  await instance.start();
}

export async function deactivate(): Promise<void> {
  await repofill?.stop();
  repofill = undefined;
}
