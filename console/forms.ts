import type { z } from 'zod';
import { toHttpError } from '../api/errors';
import type { RefusalReason } from '../domain/refusal';

/** What the person typed into one form, by field name (the API's body path: "amount.value", "milestones.0.name"). */
export type FormValues = Record<string, string>;

/** A refused form: every reason, each beside the field it names, and what was typed, to show again. */
export interface FormFailure {
  form: string;
  status: number;
  message: string;
  values: FormValues;
  /** As the API gave them, code included: the console words a reason by its code ({{reasonText r}}). */
  reasons: RefusalReason[];
}

/** Flattens an urlencoded body to one string per field (a repeated field, as a checkbox after its hidden "false", keeps its last value). */
export function formValues(body: unknown): FormValues {
  const values: FormValues = {};
  if (!body || typeof body !== 'object') return values;
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    const last: unknown = Array.isArray(value) ? value[value.length - 1] : value;
    if (typeof last === 'string') values[name] = last;
  }
  return values;
}

export function failureOf(form: string, values: FormValues, error: unknown): FormFailure {
  const http = toHttpError(error);
  const reasons = http.details.length > 0 ? http.details : [{ message: http.message }];
  return { form, status: http.status, message: http.message, values, reasons };
}

/**
 * Builds the API request body from a form, by the route's own zod schema: "a.b" and "list.0.c" fields
 * nest, numbers and booleans are read from their text, a blank optional field is left out. Nothing is
 * validated here: what cannot be read stays text, so the schema refuses it and names the field.
 */
export function formBody(schema: z.ZodType | undefined, values: FormValues): unknown {
  return coerce(schema, nest(values));
}

type Tree = { [key: string]: Tree | string };

/** Names that would reach an object's prototype; the input guard refuses them, and nest() never follows them. */
const UNSAFE_PARTS = new Set(['__proto__', 'constructor', 'prototype']);

function nest(values: FormValues): Tree {
  const root: Tree = {};
  for (const [name, value] of Object.entries(values)) {
    const parts = name.split('.');
    if (name.startsWith('_') || parts.some((part) => UNSAFE_PARTS.has(part))) continue;
    let node = root;
    for (const part of parts.slice(0, -1)) {
      const next = Object.hasOwn(node, part) ? node[part] : undefined;
      node = typeof next === 'object' ? next : (node[part] = {});
    }
    node[parts[parts.length - 1]] = value;
  }
  return root;
}

interface SchemaDef {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  in?: z.ZodType;
}

const defOf = (schema: z.ZodType): SchemaDef => (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;

function coerce(schema: z.ZodType | undefined, value: Tree | string | undefined): unknown {
  if (!schema || value === undefined) return value;
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
      return value === '' ? undefined : coerce(def.innerType, value);
    case 'pipe':
      return coerce(def.in, value);
    case 'number':
    case 'int':
      return typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    case 'boolean':
      return value === 'true' || value === 'on' ? true : value === 'false' || value === '' ? false : value;
    case 'object':
      return typeof value === 'object' ? coerceObject(def.shape ?? {}, value) : value;
    case 'array':
      return typeof value === 'object' ? coerceArray(def.element, value) : value === '' ? [] : value;
    default:
      return value;
  }
}

function coerceObject(shape: Record<string, z.ZodType>, tree: Tree): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tree)) {
    const coerced = coerce(shape[key], value);
    if (coerced !== undefined) out[key] = coerced;
  }
  return out;
}

/** "list.0.x", "list.1.x": rows in index order; a row left entirely blank is dropped (spare editor rows). */
function coerceArray(element: z.ZodType | undefined, tree: Tree): unknown[] {
  return Object.keys(tree)
    .filter((key) => /^\d+$/.test(key))
    .sort((a, b) => Number(a) - Number(b))
    .map((key) => tree[key])
    .filter((row) => typeof row !== 'object' || Object.values(flatten(row)).some((v) => v.trim() !== ''))
    .map((row) => coerce(element, row));
}

function flatten(tree: Tree): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(tree)) {
    if (typeof value === 'string') out[key] = value;
    else for (const [inner, text] of Object.entries(flatten(value))) out[`${key}.${inner}`] = text;
  }
  return out;
}
