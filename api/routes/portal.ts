import type { Request, Response, NextFunction, Router } from 'express';
import { z } from 'zod';
import { notFound } from '../../domain/refusal';
import type { Role } from '../../domain/roles';
import { disputeAttachment } from '../../services/portal';
import { customerLinks, revokeCustomerLinks } from '../../services/portal-links';
import { requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import type { ApiRoutes } from '../route';

/** Staff who may see and revoke a customer's page links: those who own the customer relationship and its money. */
const LINK_ROLES = ['sales', 'finance', 'admin'] as const satisfies readonly Role[];
const ATTACHMENT_PATH = '/api/v1/invoices/:no/disputes/:dispute/attachment';

const RevokeLinksSchema = z.object({}).strict();

/** The customer's page seen from the staff side (docs/customer-page.md): its links, their revocation, dispute files. */
export function portalRoutes(routes: ApiRoutes, { db }: ApiDeps, router: Router): void {
  const customerExists = async (code: string) => {
    const customer = await db.selectFrom('customers').select('code').where('code', '=', code).executeTakeFirst();
    if (!customer) throw notFound(`customer ${code}`);
  };

  routes.add({
    method: 'get',
    path: '/api/v1/customers/:code/portal-links',
    summary:
      "A customer's page links (one per contact and letter period), newest first: contact, created, expires, revoked",
    roles: LINK_ROLES,
    responses: { 200: 'the links (at most 200)', 403: 'role not allowed', 404: 'no such customer' },
    async handle({ params }) {
      await customerExists(params.code);
      return { body: await customerLinks(db, params.code) };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/customers/:code/portal-links/revoke',
    summary:
      "Revoke every live customer's page link of a customer: its letters' links then show a polite refusal; the next letter makes a new one",
    roles: LINK_ROLES,
    body: RevokeLinksSchema,
    responses: { 200: 'how many links were revoked', 403: 'role not allowed', 404: 'no such customer' },
    async handle({ params, actor }) {
      await customerExists(params.code);
      return { body: { revoked: await revokeCustomerLinks(db, params.code, actor, Date.now()) } };
    },
  });

  // The file itself is answered here (a download, not JSON); the route below documents it and serves ApiRoutes.call.
  router.get(ATTACHMENT_PATH, (req: Request, res: Response, next: NextFunction) => {
    (async () => {
      requireRole(req.actor, ['sales', 'delivery', 'finance', 'executive', 'admin'], `GET ${ATTACHMENT_PATH}`);
      const file = await disputeAttachment(db, `${req.params.no}/${req.params.dispute}`);
      if (!file) throw notFound(`attachment of dispute ${req.params.no}/${req.params.dispute}`);
      res.setHeader('Content-Type', file.content_type);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Content-Security-Policy', "default-src 'none'");
      res.setHeader(
        'Content-Disposition',
        `attachment; filename="attachment"; filename*=UTF-8''${encodeURIComponent(file.file_name)}`,
      );
      res.status(200).send(file.content);
    })().catch(next);
  });
  routes.add({
    method: 'get',
    path: ATTACHMENT_PATH,
    summary:
      "Download the file a customer attached to a dispute on the customer's page (:dispute is the dispute's suffix, e.g. D1)",
    roles: 'any',
    responses: { 200: 'the file (PDF or image), as a download', 404: 'no such dispute or no attachment' },
    async handle({ params }) {
      const file = await disputeAttachment(db, `${params.no}/${params.dispute}`);
      if (!file) throw notFound(`attachment of dispute ${params.no}/${params.dispute}`);
      return { body: { fileName: file.file_name, contentType: file.content_type, sizeBytes: file.size_bytes } };
    },
  });
}
