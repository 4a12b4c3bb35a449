import type { Request, Router } from 'express';
import { z } from 'zod';
import type { Actor, Role } from '../domain/roles';
import { requireRole } from './auth';

export interface HandlerContext<Body> {
  req: Request;
  actor: Actor;
  body: Body;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
}

export interface RouteSpec<B extends z.ZodType = z.ZodType> {
  method: 'get' | 'post' | 'put';
  path: string;
  summary: string;
  /** Roles allowed to call; "any" means any authenticated person. */
  roles: readonly Role[] | 'any';
  body?: B;
  query?: Record<string, string>;
  responses: Record<number, string>;
  handle(ctx: HandlerContext<z.output<B>>): Promise<{ status?: number; body: unknown; headers?: Record<string, string> }>;
}

/** Registers express routes and remembers them, so the OpenAPI document is built from what really validates. */
export class ApiRoutes {
  readonly specs: RouteSpec[] = [];

  constructor(private readonly router: Router) {}

  add<B extends z.ZodType>(spec: RouteSpec<B>): void {
    this.specs.push(spec as unknown as RouteSpec);
    this.router[spec.method](spec.path, (req, res, next) => {
      (async () => {
        const actor = spec.roles === 'any' ? req.actor! : requireRole(req.actor, spec.roles, `${spec.method.toUpperCase()} ${spec.path}`);
        const body = spec.body ? spec.body.parse(req.body ?? {}) : undefined;
        const result = await spec.handle({
          req, actor, body: body as z.output<B>, params: req.params as Record<string, string>,
          query: req.query as Record<string, string | undefined>,
        });
        for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
        res.status(result.status ?? 200).json(result.body);
      })().catch(next);
    });
  }
}
