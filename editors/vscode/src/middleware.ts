/**
 * The client-side logic around RepoFill's requests: gating and counting inline completion
 * requests, and building/reading `repofill.fillHole` and `repofill.showContext` payloads.
 * Pure: no `vscode` import (the types below are the structural parts of VS Code's types we use).
 */

import { completesLanguage, type ServerSettings } from './settings';

export interface PositionLike {
  readonly line: number;
  readonly character: number;
}

export interface SelectionLike {
  readonly start: PositionLike;
  readonly end: PositionLike;
  readonly active: PositionLike;
  readonly isEmpty: boolean;
}

interface DocumentLike {
  readonly languageId: string;
}

/**
 * `middleware.provideInlineCompletionItems`: skips the request when completions are off for
 * the document's language, and reports each request's start and end (for the status item).
 */
export function inlineCompletionMiddleware<D extends DocumentLike, P, C, T, V>(deps: {
  settings: () => ServerSettings;
  started: () => void;
  finished: () => void;
}): (document: D, position: P, context: C, token: T, next: (document: D, position: P, context: C, token: T) => V | PromiseLike<V>) => Promise<V | null> {
  return async (document, position, context, token, next) => {
    if (!completesLanguage(deps.settings(), document.languageId)) {
      return null;
    }
    deps.started();
    try {
      const result = await next(document, position, context, token);
      return result;
    } finally {
      deps.finished();
    }
  };
}

export interface PositionJson {
  line: number;
  character: number;
}

export type HoleArgument =
  | { uri: string; range: { start: PositionJson; end: PositionJson } }
  | { uri: string; position: PositionJson };

const json = (p: PositionLike): PositionJson => ({ line: p.line, character: p.character });

/** The `repofill.fillHole` argument: the selection when there is one, else the cursor. */
export function holeArgument(uri: string, selection: SelectionLike): HoleArgument {
  if (!selection.isEmpty) {
    return { uri, range: { start: json(selection.start), end: json(selection.end) } };
  }
  return { uri, position: json(selection.active) };
}

export interface FillHoleResult {
  applied: boolean;
  message: string;
  text: string;
}

/** Reads the command's result leniently; a malformed answer counts as not applied. */
export function parseFillHoleResult(value: unknown): FillHoleResult {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  return {
    applied: v.applied === true,
    message: typeof v.message === 'string' ? v.message : '',
    text: typeof v.text === 'string' ? v.text : '',
  };
}

/** What to tell the user after a fill: nothing on success, else why not. */
export function fillHoleNotice(result: FillHoleResult): string | undefined {
  if (result.applied) {
    return undefined;
  }
  if (result.message.length > 0) {
    return `RepoFill: ${result.message}`;
  }
  return result.text.length > 0 ? 'RepoFill: the editor did not apply the edit.' : 'RepoFill: no suggestion for this hole.';
}

export function parseContextText(value: unknown): string {
  if (typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>).text === 'string') {
    return (value as { text: string }).text;
  }
  return '';
}
