import { z } from 'zod';
import { ErrorSchema } from './schemas/common';
import { PUBLIC_PATHS, type RouteSpec, rolesOf, whoMayCall } from './route';

const OPTIONS = { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' } as const;

/** Every schema given an id with .meta({ id }) becomes a component; others are inlined. */
function componentSchemas(): Record<string, unknown> {
  return z.toJSONSchema(z.globalRegistry, { ...OPTIONS, uri: (id) => `#/components/schemas/${id}` }).schemas;
}

function jsonSchema(schema: z.ZodType): unknown {
  const id = z.globalRegistry.get(schema)?.id;
  return id ? { $ref: `#/components/schemas/${id}` } : z.toJSONSchema(schema, OPTIONS);
}

/** 401 and 403 of a route, from its role list and rule; a public route has neither. */
function accessResponses(spec: RouteSpec): Record<number, string> {
  if (PUBLIC_PATHS.includes(spec.path)) return {};
  const unauthorized = { 401: 'no bearer token, or an unknown, revoked or expired one (the error says which)' };
  if (spec.roles === 'any' && !spec.rule) return unauthorized;
  return { ...unauthorized, 403: `the caller may not: ${whoMayCall(spec)}` };
}

/** An OpenAPI 3 document generated from the route table and the zod schemas that validate each request. */
export function buildOpenApi(specs: RouteSpec[], extra: RouteSpec[] = []): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of [...extra, ...specs]) {
    const path = spec.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const params = [...spec.path.matchAll(/:([A-Za-z]+)/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = Object.entries(spec.query ?? {}).map(([name, description]) => ({
      name,
      in: 'query',
      required: false,
      description,
      schema: { type: 'string' },
    }));
    const responses = Object.fromEntries(
      Object.entries({ ...spec.responses, ...accessResponses(spec) }).map(([status, description]) => [
        status,
        Number(status) >= 400
          ? { description, content: { 'application/json': { schema: jsonSchema(ErrorSchema) } } }
          : { description },
      ]),
    );
    paths[path] ??= {};
    paths[path][spec.method] = {
      summary: spec.summary,
      description: `Who may call it: ${whoMayCall(spec)}.`,
      'x-roles': rolesOf(spec),
      ...(spec.rule ? { 'x-rule': spec.rule } : {}),
      ...(params.length + query.length > 0 ? { parameters: [...params, ...query] } : {}),
      ...(spec.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(spec.body) } } } }
        : {}),
      responses,
      ...(PUBLIC_PATHS.includes(spec.path) ? { security: [] } : {}),
    };
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Huikuan API',
      version: '1.0.0',
      description:
        'Contract-to-cash: contracts, invoices, payments and collection letters. Amounts are decimal strings with a currency code.',
    },
    components: { schemas: componentSchemas(), securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
