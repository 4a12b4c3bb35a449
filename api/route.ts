import type { Client } from '@temporalio/client';
import type { Request, Router } from 'express';
import { z } from 'zod';
import { type Actor, type Role, ROLES } from '../domain/roles';
import { requireRole } from './auth';
import { toHttpError, unavailable } from './errors';

export interface HandlerContext<Body> {
  req: Request;
  actor: Actor;
  body: Body;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
}

export interface RouteSpec<B extends z.ZodType = z.ZodType> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  /** Roles allowed to call; "any" means any authenticated person. */
  roles: readonly Role[] | 'any';
  /**
   * A rule about who may do it that the handler or the workflow enforces beyond the role list
   * ("not the person who requested it"), in words for the route table and the OpenAPI document.
   */
  rule?: string;
  body?: B;
  query?: Record<string, string>;
  responses: Record<number, string>;
  /** How long the handler's Temporal calls may take in all, when not the default (long imports). */
  deadlineMs?: number;
  handle(
    ctx: HandlerContext<z.output<B>>,
  ): Promise<{ status?: number; body: unknown; headers?: Record<string, string> }>;
}

const SERVER_PING_MS = 1_000;

/** Registers express routes and remembers them, so the OpenAPI document is built from what really validates. */
export class ApiRoutes {
  readonly specs: RouteSpec[] = [];

  /**
   * `deadline` bounds every Temporal call a handler makes: an update or query that no worker answers
   * fails with DEADLINE_EXCEEDED (a 503 naming the worker) instead of hanging the request.
   */
  constructor(
    private readonly router: Router,
    private readonly deadline?: { temporal: Pick<Client, 'withDeadline' | 'workflowService'>; ms: number },
  ) {}

  private underDeadline<T>(spec: RouteSpec, fn: () => Promise<T>): Promise<T> {
    if (!this.deadline) return fn();
    return this.deadline.temporal.withDeadline(Date.now() + (spec.deadlineMs ?? this.deadline.ms), fn);
  }

  /** A Temporal call that ran out of time: the server itself is down when it cannot answer a ping either. */
  private async nameWhatIsDown(error: unknown): Promise<unknown> {
    const temporal = this.deadline?.temporal;
    if (!temporal || toHttpError(error).details[0]?.field !== 'worker') return error;
    const serverAnswers = await temporal
      .withDeadline(Date.now() + SERVER_PING_MS, () => temporal.workflowService.getSystemInfo({}))
      .then(
        () => true,
        () => false,
      );
    return serverAnswers
      ? error
      : unavailable('temporal', `the Temporal server did not answer within ${SERVER_PING_MS} ms`);
  }

  add<B extends z.ZodType>(spec: RouteSpec<B>): void {
    this.specs.push(spec as unknown as RouteSpec);
    this.router[spec.method](spec.path, (req, res, next) => {
      (async () => {
        const actor =
          spec.roles === 'any'
            ? req.actor!
            : requireRole(req.actor, spec.roles, `${spec.method.toUpperCase()} ${spec.path}`);
        const body = spec.body ? spec.body.parse(req.body ?? {}) : undefined;
        const result = await this.underDeadline(spec as unknown as RouteSpec, () =>
          spec.handle({
            req,
            actor,
            body: body as z.output<B>,
            params: req.params as Record<string, string>,
            query: req.query as Record<string, string | undefined>,
          }),
        );
        for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
        res.status(result.status ?? 200).json(result.body);
      })().catch((error: unknown) => this.nameWhatIsDown(error).then(next));
    });
  }
}

/** Routes that need no token: /healthz (mounted before authentication) and signing in (authentication lets it through). */
export const PUBLIC_PATHS: readonly string[] = ['/healthz', '/api/v1/sessions'];

/** The roles that pass a route's role check; every role for "any", none for a public route (it has no check). */
export function rolesOf(spec: RouteSpec): readonly Role[] {
  if (PUBLIC_PATHS.includes(spec.path)) return [];
  return spec.roles === 'any' ? ROLES : spec.roles;
}

/** Who may call a route, in the words of docs/api.md's route table and the OpenAPI description. */
export function whoMayCall(spec: RouteSpec): string {
  const roles = PUBLIC_PATHS.includes(spec.path)
    ? 'anyone, no token'
    : spec.roles === 'any'
      ? 'any signed-in person'
      : spec.roles.join(', ');
  return spec.rule ? `${roles}; ${spec.rule}` : roles;
}
