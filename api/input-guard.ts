import type { RequestHandler } from 'express';
import { z } from 'zod';
import { wellFormed, textProblem } from '../domain/text';
import { type RefusalReason, Refused, refuse } from '../domain/refusal';

/**
 * Text checks at the door. Every string a request carries (JSON body at any depth and its keys, query
 * string, path) must be well-formed Unicode without NUL: PostgreSQL refuses NUL in text and jsonb, and
 * Temporal's core cannot encode a lone surrogate (a refusal message quoting one took the worker down).
 */

/** Deeper than this is no request of ours; walking it further would only risk the stack. */
export const MAX_DEPTH = 32;
/**
 * Keys that could reach an object's prototype when copied by assignment; no field of the API is named so,
 * nor any part of a console form field's dotted name ("a.__proto__.b" would nest into Object.prototype).
 */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Zod refinement for schemas used outside the HTTP door too (or to document the rule in OpenAPI). */
export const wellFormedText = <T extends z.ZodType<string>>(schema: T) =>
  schema.refine((text) => textProblem(text) === undefined, { message: 'must be well-formed Unicode without NUL' });

const join = (path: string, key: string | number) => (path === '' ? String(key) : `${path}.${key}`);

/** The first bad text, key, depth or reserved key in a parsed JSON value or query, with its field path. */
export function findBadInput(value: unknown, path = '', depth = 0): RefusalReason | undefined {
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem ? { code: 'invalid_text', field: path || undefined, message: problem } : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_DEPTH)
    return {
      code: 'too_deep',
      field: path || undefined,
      message: `must not be nested deeper than ${MAX_DEPTH} levels`,
    };
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) {
      const found = findBadInput(value[index], join(path, index), depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    const field = join(path, wellFormed(key));
    const keyProblem =
      textProblem(key) ??
      (key.split('.').some((part) => RESERVED_KEYS.has(part)) ? `"${key}" is not a field of any request` : undefined);
    if (keyProblem) return { code: 'invalid_key', field, message: `key ${keyProblem}` };
    const found = findBadInput((value as Record<string, unknown>)[key], field, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Decodes each path segment the way the router will, so a bad one is a 400 here rather than deep in routing. */
function pathProblem(path: string): RefusalReason | undefined {
  for (const segment of path.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return { code: 'invalid_path', field: 'path', message: `"${segment}" is not valid percent-encoded UTF-8` };
    }
    const problem = textProblem(decoded);
    if (problem) return { code: 'invalid_path', field: 'path', message: `segment ${problem}` };
  }
  return undefined;
}

function reject(detail: RefusalReason): Refused {
  return refuse('invalid', `invalid ${detail.field ?? 'request body'}`, [detail]);
}

/** Every query parameter is one text: `?a=1&a=2` or `?a[b]=1` would reach SQL as an array or a record. */
function queryProblem(query: Record<string, unknown>): RefusalReason | undefined {
  for (const [name, value] of Object.entries(query)) {
    const field = wellFormed(name);
    if (typeof value !== 'string') return { code: 'invalid_query', field, message: 'must be given once, as text' };
    const problem = textProblem(name) ?? textProblem(value);
    if (problem) return { code: 'invalid_text', field, message: problem };
  }
  return undefined;
}

/** Mounted after the body parsers and before any route: refuses the request naming the first bad field. */
export const inputGuard: RequestHandler = (req, _res, next) => {
  const bad = pathProblem(req.path) ?? queryProblem(req.query) ?? findBadInput(req.body);
  next(bad ? reject(bad) : undefined);
};
