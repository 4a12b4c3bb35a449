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
      const context = {
        req,
        actor: req.actor,
        params: req.params as Record<string, string>,
        query: req.query as Record<string, string | undefined>,
        body: req.body as unknown,
      };
      this.run(spec as unknown as RouteSpec, context).then((result) => {
        for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
        res.status(result.status ?? 200).json(result.body);
      }, next);
    });
  }

  /**
   * Runs a route in this process as if it had been requested: the same role check, body validation,
   * Temporal deadline and handler. The console calls the API this way, so each rule lives in one place.
   */
  call(method: RouteSpec['method'], path: string, context: RouteCall): Promise<RouteResult> {
    return this.run(this.spec(method, path), { params: {}, query: {}, ...context });
  }

  has(method: RouteSpec['method'], path: string): boolean {
    return this.specs.some((candidate) => candidate.method === method && candidate.path === path);
  }

  /** The route registered for a method and path template ("/api/v1/contracts/:no"). */
  spec(method: RouteSpec['method'], path: string): RouteSpec {
    const spec = this.specs.find((candidate) => candidate.method === method && candidate.path === path);
    if (!spec) throw new Error(`no route ${method.toUpperCase()} ${path}`);
    return spec;
  }

  /** Whether the person's role passes the route's role check (the console shows a form only then). */
  allows(actor: Actor, method: RouteSpec['method'], path: string): boolean {
    const { roles } = this.spec(method, path);
    return roles === 'any' || roles.some((role) => role === actor.role);
  }

  private async run(
    spec: RouteSpec,
    call: Required<Omit<RouteCall, 'body'>> & { body?: unknown },
  ): Promise<RouteResult> {
    try {
      const actor =
        spec.roles === 'any'
          ? call.actor!
          : requireRole(call.actor, spec.roles, `${spec.method.toUpperCase()} ${spec.path}`);
      const body: unknown = spec.body ? spec.body.parse(call.body ?? {}) : undefined;
      return await this.underDeadline(spec, () =>
        spec.handle({ req: call.req, actor, body, params: call.params, query: call.query }),
      );
    } catch (error) {
      throw await this.nameWhatIsDown(error);
    }
  }
}

export interface RouteCall {
  req: Request;
  actor: Actor | undefined;
  params?: Record<string, string>;
  query?: Record<string, string | undefined>;
  body?: unknown;
}

export type RouteResult = Awaited<ReturnType<RouteSpec['handle']>>;

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
