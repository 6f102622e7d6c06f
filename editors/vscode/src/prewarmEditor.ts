/**
 * Feeds VS Code's cursor and focus events to the pre-warm scheduler (`prewarm.ts`) and sends
 * `repofill/didMoveCursor` (docs/protocol.md) through the running language client.
 */

import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';

import { DID_MOVE_CURSOR, PrewarmScheduler, prewarmWanted, type CursorPlace } from './prewarm';
import { completesLanguage, readServerSettings } from './settings';

function place(editor: vscode.TextEditor): CursorPlace {
  const active = editor.selection.active;
  return { uri: editor.document.uri.toString(), version: editor.document.version, line: active.line, character: active.character };
}

/**
 * Watches the active editor's cursor and sends `repofill/didMoveCursor` where it rests.
 * `client()` answers the running client (undefined while none runs); `section` is the
 * configuration section (`repofill`).
 */
export function watchCursorRests(client: () => LanguageClient | undefined, section: string): vscode.Disposable {
  const qualifies = (editor: vscode.TextEditor, running: LanguageClient): boolean => {
    const c = vscode.workspace.getConfiguration(section);
    const selector = running.protocol2CodeConverter.asDocumentSelector(running.clientOptions.documentSelector ?? []);
    return prewarmWanted({
      prewarm: c.get('prewarm'),
      completes: completesLanguage(readServerSettings((key) => c.get(key)), editor.document.languageId),
      handled: vscode.languages.match(selector, editor.document) > 0,
      emptySelection: editor.selection.isEmpty,
    });
  };

  const scheduler = new PrewarmScheduler((at) => {
    const running = client();
    const editor = vscode.window.activeTextEditor;
    if (running === undefined || editor === undefined || editor.document.uri.toString() !== at.uri || !qualifies(editor, running)) {
      return false;
    }
    const position = new vscode.Position(at.line, at.character);
    void running
      .sendNotification(DID_MOVE_CURSOR, {
        textDocument: { uri: running.code2ProtocolConverter.asUri(editor.document.uri) },
        position: running.code2ProtocolConverter.asPosition(position),
      })
      .catch(() => undefined); // a stopping client: the pre-warm is only a hint
    return true;
  });

  const consider = (editor: vscode.TextEditor | undefined, event: 'moved' | 'focused'): void => {
    const running = client();
    if (editor === undefined) {
      scheduler.left();
      return;
    }
    if (running === undefined || !qualifies(editor, running)) {
      scheduler.left(editor.document.uri.toString(), editor.document.version);
      return;
    }
    scheduler[event](place(editor));
  };

  const subscriptions = [
    vscode.window.onDidChangeTextEditorSelection((e) => {
      if (e.textEditor === vscode.window.activeTextEditor) {
        consider(e.textEditor, 'moved');
      }
    }),
    vscode.window.onDidChangeActiveTextEditor((editor) => {
      consider(editor, 'focused');
    }),
    vscode.workspace.onDidCloseTextDocument((document) => {
      scheduler.closed(document.uri.toString());
    }),
  ];
  consider(vscode.window.activeTextEditor, 'focused');
  return vscode.Disposable.from(...subscriptions, { dispose: () => { scheduler.dispose(); } });
}
