import { issueInvoice } from '../../services/workflow-client';
import type { ApiDeps } from '../deps';
import { conflict, notFound } from '../../domain/refusal';
import { fromMinor } from '../money';
import type { ApiRoutes } from '../route';
import { IssueInvoiceSchema } from '../schemas/common';
import { invoiceView, letterView } from '../../read-models/views';

export function invoiceRoutes(routes: ApiRoutes, { db, temporal }: ApiDeps): void {
  routes.add({
    method: 'get',
    path: '/api/v1/invoice-ready',
    summary: 'Milestones whose trigger is met and that wait for finance to issue the invoice',
    roles: ['finance', 'executive'],
    responses: { 200: 'the ready milestones, oldest first' },
    async handle() {
      const ready = await db
        .selectFrom('milestones')
        .innerJoin('contracts', 'contracts.no', 'milestones.contract_no')
        .select([
          'milestones.contract_no',
          'milestones.seq',
          'milestones.kind',
          'milestones.amount_minor',
          'milestones.ready_on',
          'milestones.term_days',
          'contracts.currency',
          'contracts.customer_code',
        ])
        .where('milestones.status', '=', 'ready')
        .orderBy('milestones.ready_on')
        .limit(500)
        .execute();
      return {
        body: ready.map((m) => ({
          contractNo: m.contract_no,
          milestoneSeq: m.seq,
          kind: m.kind,
          amount: fromMinor(m.amount_minor, m.currency),
          readyOn: m.ready_on,
          termDays: m.term_days,
          customerCode: m.customer_code,
        })),
      };
    },
  });

  routes.add({
    method: 'post',
    path: '/api/v1/invoices',
    summary: 'Issue the invoice for a ready milestone; due date = issue date + the milestone term days',
    roles: ['finance'],
    body: IssueInvoiceSchema,
    responses: {
      201: 'issued; collection started',
      400: 'invalid input',
      403: 'not finance',
      404: 'no such contract',
      409: 'refused, with every reason',
    },
    async handle({ body, actor }) {
      const contract = await db
        .selectFrom('contracts')
        .select('no')
        .where('no', '=', body.contractNo)
        .executeTakeFirst();
      if (!contract) throw notFound(`contract ${body.contractNo}`);
      const taken = await db
        .selectFrom('invoices')
        .select(['contract_no', 'milestone_seq'])
        .where('no', '=', body.invoiceNo)
        .executeTakeFirst();
      if (taken)
        throw conflict(`invoice number ${body.invoiceNo} is already used`, [
          { field: 'invoiceNo', message: `used by contract ${taken.contract_no} milestone ${taken.milestone_seq}` },
        ]);
      await issueInvoice(temporal, body.contractNo, {
        actor,
        milestoneSeq: body.milestoneSeq,
        invoiceNo: body.invoiceNo,
        issueDate: body.issueDate,
        taxRatePercent: body.taxRatePercent,
      });
      return {
        status: 201,
        body: await invoiceView(db, body.invoiceNo),
        headers: { Location: `/api/v1/invoices/${body.invoiceNo}` },
      };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/invoices/:no',
    summary: 'Read an invoice: balance, status, payments and letters',
    roles: 'any',
    responses: { 200: 'the invoice', 404: 'no such invoice' },
    async handle({ params }) {
      return { body: await invoiceView(db, params.no) };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/letters',
    summary: 'Letters from the outbox with step, recipients, subject, status and send time',
    roles: 'any',
    query: { invoice: 'invoice number', contract: 'contract number' },
    responses: { 200: 'letters, newest first (at most 500)' },
    async handle({ query }) {
      let select = db.selectFrom('letters').selectAll();
      if (query.invoice) select = select.where('invoice_no', '=', query.invoice);
      if (query.contract) select = select.where('contract_no', '=', query.contract);
      const letters = await select.orderBy('id', 'desc').limit(500).execute();
      return { body: letters.map(letterView) };
    },
  });
}
