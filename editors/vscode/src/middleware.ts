/**
 * The client-side logic around RepoFill's requests: gating and counting inline completion
 * requests, and building/reading `repofill.fillHoleCandidates` and `repofill.showContext` payloads.
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

/** The position after `text` inserted at `start` (lines split at \n, \r\n or \r; UTF-16 units). */
export function endOf(start: PositionJson, text: string): PositionJson {
  const lines = text.split(/\r\n|\r|\n/);
  const last = lines[lines.length - 1] ?? '';
  return lines.length === 1 ? { line: start.line, character: start.character + last.length } : { line: start.line + lines.length - 1, character: last.length };
}

export interface RangeJson {
  start: PositionJson;
  end: PositionJson;
}

/** One `repofill.fillHoleCandidates` candidate: its text and the edit that puts it in the hole. */
export interface HoleCandidate {
  text: string;
  score: number;
  /** The edit's first text edit: the range it replaces (the hole) in protocol terms. */
  range: RangeJson;
}

export interface HoleCandidates {
  message: string;
  candidates: HoleCandidate[];
}

function isPosition(value: unknown): value is PositionJson {
  const v = value as Record<string, unknown> | null;
  return typeof v === 'object' && v !== null && typeof v.line === 'number' && typeof v.character === 'number';
}

function isRange(value: unknown): value is RangeJson {
  const v = value as Record<string, unknown> | null;
  return typeof v === 'object' && v !== null && isPosition(v.start) && isPosition(v.end);
}

/** The range the first text edit of a protocol `WorkspaceEdit` replaces (`changes` or `documentChanges`). */
function firstEditRange(edit: unknown): RangeJson | undefined {
  const e = (typeof edit === 'object' && edit !== null ? edit : {}) as Record<string, unknown>;
  const lists: unknown[] = [];
  if (typeof e.changes === 'object' && e.changes !== null) {
    lists.push(...Object.values(e.changes as Record<string, unknown>));
  }
  if (Array.isArray(e.documentChanges)) {
    lists.push(...e.documentChanges.map((c: unknown) => (typeof c === 'object' && c !== null ? (c as Record<string, unknown>).edits : undefined)));
  }
  for (const list of lists) {
    if (Array.isArray(list)) {
      const range: unknown = (list[0] as Record<string, unknown> | undefined)?.range;
      if (isRange(range)) {
        return range;
      }
    }
  }
  return undefined;
}

/** Reads `repofill.fillHoleCandidates`' answer leniently: candidates without text or edit are dropped. */
export function parseHoleCandidates(value: unknown): HoleCandidates {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const candidates: HoleCandidate[] = [];
  for (const raw of Array.isArray(v.candidates) ? (v.candidates as unknown[]) : []) {
    const c = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const range = firstEditRange(c.edit);
    if (typeof c.text === 'string' && range !== undefined) {
      candidates.push({ text: c.text, score: typeof c.score === 'number' ? c.score : 0, range });
    }
  }
  return { message: typeof v.message === 'string' ? v.message : '', candidates };
}

/** A quick-pick label for a candidate: its first non-empty line, and how many lines follow. */
export function candidateLabel(text: string): { label: string; detail: string } {
  const lines = text.split(/\r\n|\r|\n/);
  const first = lines.find((l) => l.trim().length > 0)?.trim() ?? '(empty)';
  const more = lines.length - 1;
  return { label: first, detail: more > 0 ? `${lines.length} lines` : '1 line' };
}

export function parseContextText(value: unknown): string {
  if (typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>).text === 'string') {
    return (value as { text: string }).text;
  }
  return '';
}
