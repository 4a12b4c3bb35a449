import { issueInvoice } from '../../services/workflow-client';
import type { ApiDeps } from '../deps';
import { conflict, notFound } from '../../domain/refusal';
import { fromMinor } from '../money';
import type { ApiRoutes } from '../route';
import { IssueInvoiceSchema } from '../schemas/common';
import { invoiceView, letterView } from '../../read-models/views';
import {
  INVOICE_READY_QUERY_DOC,
  InvoiceReadyQuerySchema,
  LATE_INTEREST_QUERY_DOC,
  LETTERS_QUERY_DOC,
  LateInterestQuerySchema,
  LettersQuerySchema,
} from '../schemas/finance';

export function invoiceRoutes(routes: ApiRoutes, { db, temporal }: ApiDeps): void {
  routes.add({
    method: 'get',
    path: '/api/v1/invoice-ready',
    summary: 'Milestones whose trigger is met and that wait for finance to issue the invoice',
    roles: ['finance', 'executive'],
    query: INVOICE_READY_QUERY_DOC,
    responses: { 200: 'a page of the ready milestones, oldest first', 400: 'invalid query' },
    async handle({ query }) {
      const { customer, limit, offset } = InvoiceReadyQuerySchema.parse(query);
      let select = db
        .selectFrom('milestones')
        .innerJoin('contracts', 'contracts.no', 'milestones.contract_no')
        .innerJoin('customers', 'customers.code', 'contracts.customer_code')
        .select([
          'milestones.contract_no',
          'milestones.seq',
          'milestones.kind',
          'milestones.amount_minor',
          'milestones.ready_on',
          'milestones.term_days',
          'contracts.currency',
          'contracts.customer_code',
          'customers.name as customer_name',
        ])
        .where('milestones.status', '=', 'ready');
      if (customer) select = select.where('contracts.customer_code', '=', customer);
      const ready = await select
        .orderBy('milestones.ready_on')
        .orderBy('milestones.contract_no')
        .orderBy('milestones.seq')
        .limit(limit)
        .offset(offset)
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
          customerName: m.customer_name,
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
    summary: 'Letters from the outbox with step, recipients, subject, status and send time (and body, when asked)',
    roles: 'any',
    query: LETTERS_QUERY_DOC,
    responses: { 200: 'letters, newest first', 400: 'invalid query' },
    async handle({ query }) {
      const { invoice, contract, body, limit, before } = LettersQuerySchema.parse(query);
      let select = db.selectFrom('letters').selectAll();
      if (invoice) select = select.where('invoice_no', '=', invoice);
      if (contract) select = select.where('contract_no', '=', contract);
      if (before !== undefined) select = select.where('id', '<', before);
      const letters = await select.orderBy('id', 'desc').limit(limit).execute();
      return {
        body: letters.map((letter) => ({
          id: letter.id,
          ...letterView(letter),
          ...(body ? { bodyText: letter.body_text, bodyHtml: letter.body_html } : {}),
        })),
      };
    },
  });

  routes.add({
    method: 'get',
    path: '/api/v1/late-interest',
    summary:
      'Paid invoices whose assessed late interest waits for finance to collect or waive it, longest waiting first',
    roles: ['finance', 'executive'],
    query: LATE_INTEREST_QUERY_DOC,
    responses: { 200: 'a page of the invoices with open late interest', 400: 'invalid query' },
    async handle({ query }) {
      const { customer, limit, offset } = LateInterestQuerySchema.parse(query);
      let select = db
        .selectFrom('invoices')
        .innerJoin('customers', 'customers.code', 'invoices.customer_code')
        .select([
          'invoices.no',
          'invoices.contract_no',
          'invoices.customer_code',
          'customers.name as customer_name',
          'invoices.currency',
          'invoices.interest_minor',
          'invoices.due_date',
          'invoices.paid_on',
        ])
        // Interest is assessed once the principal is paid: migration 0017's partial index, in paid_on order.
        .where('invoices.status', '=', 'paid')
        .where('invoices.interest_status', '=', 'open');
      if (customer) select = select.where('invoices.customer_code', '=', customer);
      const open = await select
        .orderBy('invoices.paid_on')
        .orderBy('invoices.no')
        .limit(limit)
        .offset(offset)
        .execute();
      return {
        body: open.map((invoice) => ({
          invoiceNo: invoice.no,
          contractNo: invoice.contract_no,
          customerCode: invoice.customer_code,
          customerName: invoice.customer_name,
          interest: fromMinor(invoice.interest_minor ?? 0, invoice.currency),
          dueDate: invoice.due_date,
          paidOn: invoice.paid_on,
        })),
      };
    },
  });
}
