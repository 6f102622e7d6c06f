/**
 * The client-side logic around RepoFill's requests: gating and counting inline completion
 * requests, and building/reading the `repofill.fillHole` and `repofill.showContext` payloads.
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
 * A request that fails answers "no suggestion" and is reported to `failed` (the log), never
 * thrown to VS Code: the failure of one completion request is not the user's business.
 * VS Code's `context` (trigger kind, `selectedCompletionInfo` of an open suggest list) is
 * passed on unchanged.
 */
export function inlineCompletionMiddleware<D extends DocumentLike, P, C, T, V>(deps: {
  settings: () => ServerSettings;
  started: () => void;
  finished: () => void;
  failed?: (error: unknown) => void;
}): (document: D, position: P, context: C, token: T, next: (document: D, position: P, context: C, token: T) => V | PromiseLike<V>) => Promise<V | null> {
  return async (document, position, context, token, next) => {
    if (!completesLanguage(deps.settings(), document.languageId)) {
      return null;
    }
    deps.started();
    try {
      const result = await next(document, position, context, token);
      return result;
    } catch (error) {
      deps.failed?.(error);
      return null;
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

/** One candidate of the last fill (`choices` in the fill result, best first). */
export interface FillChoice {
  index: number;
  /** One line, at most 60 characters, for a picker. */
  label: string;
  text: string;
}

/** The fill result of `repofill.fillHole` and `repofill.applyFillCandidate` (docs/protocol.md). */
export interface FillHoleResult {
  applied: boolean;
  message: string;
  text: string;
  /** The candidate in the file. */
  index: number;
  choices: FillChoice[];
  /** Where the inserted text ends once the edit is applied; absent from older servers. */
  cursor: PositionJson | undefined;
}

function isPosition(value: unknown): value is PositionJson {
  const v = value as Record<string, unknown> | null;
  return typeof v === 'object' && v !== null && typeof v.line === 'number' && typeof v.character === 'number';
}

function parseChoice(value: unknown, position: number): FillChoice | undefined {
  const c = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof c.text !== 'string') {
    return undefined;
  }
  const label = typeof c.label === 'string' && c.label.length > 0 ? c.label : candidateLabel(c.text);
  return { index: typeof c.index === 'number' ? c.index : position, label, text: c.text };
}

/** Reads a fill result leniently; a malformed answer counts as not applied. */
export function parseFillHoleResult(value: unknown): FillHoleResult {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const choices = (Array.isArray(v.choices) ? (v.choices as unknown[]) : [])
    .map(parseChoice)
    .filter((c): c is FillChoice => c !== undefined);
  return {
    applied: v.applied === true,
    message: typeof v.message === 'string' ? v.message : '',
    text: typeof v.text === 'string' ? v.text : '',
    index: typeof v.index === 'number' ? v.index : 0,
    choices,
    cursor: isPosition(v.cursor) ? { line: v.cursor.line, character: v.cursor.character } : undefined,
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

/** A picker label for a candidate: its first non-empty line, trimmed. */
export function candidateLabel(text: string): string {
  return text.split(/\r\n|\r|\n/).find((l) => l.trim().length > 0)?.trim() ?? '(empty)';
}

export function parseContextText(value: unknown): string {
  if (typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>).text === 'string') {
    return (value as { text: string }).text;
  }
  return '';
}
