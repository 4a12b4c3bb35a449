import busboy from 'busboy';
import type { RequestHandler } from 'express';
import type { ApiDeps } from '../../api/deps';
import { HttpError } from '../../api/errors';
import { findBadInput } from '../../api/input-guard';
import { ENCODINGS, MAPPING_NAMES } from '../../api/schemas/imports';
import { AssignPaymentSchema } from '../../api/schemas/payments';
import { localDateOf } from '../../domain/dates';
import { SUPPORTED_CURRENCIES } from '../../domain/money';
import { refuse } from '../../domain/refusal';
import { type FormFailure, type FormValues, formBody } from '../forms';
import type { ConsolePages, PageRequest, View } from '../pages';
import { href } from '../links';

type Money = { value: string; currency: string };

interface ReadyMilestone {
  contractNo: string;
  milestoneSeq: number;
  kind: string;
  amount: Money;
  readyOn: string;
  termDays: number;
  customerCode: string;
  customerName: string;
}

interface Payment {
  id: number;
  status: string;
  customerCode: string | null;
  reference: string;
  amount: Money;
  receivedOn: string;
  unallocated: Money;
  source: string;
  payer: { name: string | null; account: string | null };
  remittance: string | null;
  reversed: { at: string; by: string; reason: string } | null;
}

interface PaymentDetail extends Payment {
  allocations: {
    id: number;
    invoiceNo: string;
    amount: Money;
    rule: string;
    at: string;
    invoiceBalance: Money;
    reversed: { at: string; by: string; reason: string } | null;
  }[];
}

interface PaymentsPage {
  payments: Payment[];
  nextBefore: number | null;
}

interface LateInterest {
  invoiceNo: string;
  contractNo: string;
  customerCode: string;
  customerName: string;
  interest: Money;
  dueDate: string;
  paidOn: string;
}

/** Rows per list on the Finance page; the import report's lines per page. */
const PAGE_SIZE = 20;
const REPORT_LINES_PER_PAGE = 100;
/** As much as the import route takes over HTTP (IMPORT_BODY_LIMIT, 100mb). */
const STATEMENT_MAX_BYTES = 100 * 1024 * 1024;

/** A query parameter as the API wants it: absent rather than blank. */
const given = (page: PageRequest, name: string): string | undefined => page.query[name]?.trim() || undefined;

/** A link to the same page with some parameters changed (a pager's), the others kept. */
/** The refusal of one row's form ("assign-12"), for that row only. */
const failureFor = (failure: FormFailure | undefined, form: string) => (failure?.form === form ? failure : undefined);

/** Finance: issue invoices, record and match payments, import statements, reverse, settle late interest. */
export function registerFinance(pages: ConsolePages, deps: ApiDeps): void {
  const today = () => localDateOf(Date.now(), deps.defaultTimeZone);

  const financeView = async (page: PageRequest, failure?: FormFailure): Promise<View> => {
    const customer = given(page, 'customer');
    const readyOffset = Number(given(page, 'readyOffset') ?? 0) || 0;
    const interestOffset = Number(given(page, 'interestOffset') ?? 0) || 0;
    const limit = String(PAGE_SIZE);
    const [ready, unmatched, payments, interest] = await Promise.all([
      pages.api<ReadyMilestone[]>(page, 'get', '/api/v1/invoice-ready', {
        query: { customer, limit, offset: String(readyOffset) },
      }),
      pages.api<PaymentsPage>(page, 'get', '/api/v1/payments', {
        query: { status: 'unmatched', limit, before: given(page, 'unmatchedBefore') },
      }),
      pages.api<PaymentsPage>(page, 'get', '/api/v1/payments', {
        query: { customerCode: customer, limit, before: given(page, 'paymentsBefore') },
      }),
      pages.api<LateInterest[]>(page, 'get', '/api/v1/late-interest', {
        query: { customer, limit, offset: String(interestOffset) },
      }),
    ]);
    const link = (changes: Record<string, string | number>) => href('/finance', { ...page.query, ...changes });
    const issueFailure = (row: ReadyMilestone) =>
      failure?.form === 'issue' &&
      failure.values.contractNo === row.contractNo &&
      failure.values.milestoneSeq === String(row.milestoneSeq)
        ? failure
        : undefined;
    return {
      view: 'finance/index',
      title: page.t('finance.title'),
      data: {
        filter: { customer },
        today: today(),
        currencies: SUPPORTED_CURRENCIES,
        encodings: ENCODINGS,
        mappings: MAPPING_NAMES,
        ready: ready.map((row) => ({ ...row, failure: issueFailure(row) })),
        readyPager: pager(ready.length, readyOffset, (offset) => link({ readyOffset: offset })),
        unmatched: unmatched.payments.map((row) => ({ ...row, failure: failureFor(failure, `assign-${row.id}`) })),
        unmatchedNext: unmatched.nextBefore && link({ unmatchedBefore: unmatched.nextBefore }),
        unmatchedFirst: given(page, 'unmatchedBefore') && link({ unmatchedBefore: '' }),
        payments: payments.payments,
        paymentsNext: payments.nextBefore && link({ paymentsBefore: payments.nextBefore }),
        paymentsFirst: given(page, 'paymentsBefore') && link({ paymentsBefore: '' }),
        interest: interest.map((row) => ({ ...row, failure: failureFor(failure, `interest-${row.invoiceNo}`) })),
        interestPager: pager(interest.length, interestOffset, (offset) => link({ interestOffset: offset })),
        paymentFailure: failureFor(failure, 'payment'),
        statementFailure: failureFor(failure, 'statement'),
        may: {
          issue: pages.can(page, 'post', '/api/v1/invoices'),
          record: pages.can(page, 'post', '/api/v1/payments'),
          upload: pages.can(page, 'post', '/api/v1/imports/bank-statements'),
          assign: pages.can(page, 'post', '/api/v1/payments/:id/assign'),
          settle: pages.can(page, 'post', '/api/v1/invoices/:no/interest'),
        },
      },
    };
  };

  const paymentView = async (page: PageRequest, id: string, failure?: FormFailure): Promise<View> => {
    const payment = await pages.api<PaymentDetail>(page, 'get', '/api/v1/payments/:id', { params: { id } });
    return {
      view: 'finance/payment',
      title: page.t('finance.paymentTitle', { id: payment.id }),
      data: {
        payment,
        allocations: payment.allocations.map((row) => ({
          ...row,
          failure: failureFor(failure, `reverse-allocation-${row.id}`),
        })),
        assignFailure: failureFor(failure, `assign-${payment.id}`),
        creditFailure: failureFor(failure, 'credit'),
        reverseFailure: failureFor(failure, 'reverse-payment'),
        credit: payment.status === 'matched' && Number(payment.unallocated.value) > 0,
        may: {
          assign: pages.can(page, 'post', '/api/v1/payments/:id/assign'),
          reverse: pages.can(page, 'post', '/api/v1/payments/:id/reverse'),
          reverseAllocation: pages.can(page, 'post', '/api/v1/allocations/:id/reverse'),
          allocate: pages.can(page, 'post', '/api/v1/payments/:id/allocations'),
        },
      },
    };
  };

  const importView = async (page: PageRequest): Promise<View> => {
    const rowsOffset = Number(given(page, 'rowsOffset') ?? 0) || 0;
    const found = await pages.api<ImportView>(page, 'get', '/api/v1/imports/:id', {
      params: { id: page.params.id },
      query: { rowsOffset: String(rowsOffset), rowsLimit: String(REPORT_LINES_PER_PAGE) },
    });
    const link = (offset: number) => href(`/finance/imports/${found.id}`, { ...page.query, rowsOffset: offset });
    const total = found.report.rowsTotal ?? 0;
    return {
      view: 'finance/import',
      title: page.t('finance.importTitle', { id: found.id }),
      data: {
        found,
        report: found.report,
        lines: (found.report.rows ?? []).map(withMoney),
        linesPager: {
          previous: rowsOffset > 0 ? link(Math.max(0, rowsOffset - REPORT_LINES_PER_PAGE)) : undefined,
          next: rowsOffset + REPORT_LINES_PER_PAGE < total ? link(rowsOffset + REPORT_LINES_PER_PAGE) : undefined,
          from: total === 0 ? 0 : rowsOffset + 1,
          to: Math.min(total, rowsOffset + REPORT_LINES_PER_PAGE),
          total,
        },
      },
    };
  };

  /** A refused form of the payment page: posted from there, or from the Finance page's queue. */
  const fromPage = (page: PageRequest, failure: FormFailure, form: string) =>
    failure.values._from === 'payment'
      ? paymentView(page, page.params.id, { ...failure, form })
      : financeView(page, { ...failure, form });

  pages.page('/finance', (page) => financeView(page));
  // A refused upload is shown in place by htmx, which pushes the form's address: reloading it shows Finance.
  pages.page('/finance/statements', (page) => financeView(page));
  pages.page('/finance/payments/:id', (page) => paymentView(page, page.params.id));
  pages.page('/finance/imports/:id', importView);

  pages.action('/finance/invoices', {
    form: 'issue',
    route: ['post', '/api/v1/invoices'],
    done: (result) => `/invoices/${encodeURIComponent((result.body as { no: string }).no)}`,
    view: financeView,
  });
  pages.action('/finance/payments', {
    form: 'payment',
    route: ['post', '/api/v1/payments'],
    done: (result) => `/finance/payments/${(result.body as Payment).id}`,
    view: financeView,
  });
  pages.action('/finance/statements', {
    form: 'statement',
    parser: readStatementUpload,
    route: ['post', '/api/v1/imports/bank-statements'],
    done: (result) => `/finance/imports/${(result.body as { importId: number }).importId}`,
    view: financeView,
  });
  pages.action('/finance/payments/:id/assign', {
    form: 'assign',
    route: ['post', '/api/v1/payments/:id/assign'],
    body: assignBody,
    done: (_result, page) => `/finance/payments/${page.params.id}`,
    view: (page, failure) =>
      failure ? fromPage(page, failure, `assign-${page.params.id}`) : paymentView(page, page.params.id),
  });
  pages.action('/finance/payments/:id/reverse', {
    form: 'reverse-payment',
    route: ['post', '/api/v1/payments/:id/reverse'],
    done: (_result, page) => `/finance/payments/${page.params.id}`,
    view: (page, failure) => paymentView(page, page.params.id, failure),
  });
  pages.action('/finance/payments/:id/allocations', {
    form: 'credit',
    route: ['post', '/api/v1/payments/:id/allocations'],
    done: (_result, page) => `/finance/payments/${page.params.id}`,
    view: (page, failure) => paymentView(page, page.params.id, failure),
  });
  pages.action('/finance/allocations/:id/reverse', {
    form: 'reverse-allocation',
    route: ['post', '/api/v1/allocations/:id/reverse'],
    done: (result) => `/finance/payments/${(result.body as Payment).id}`,
    view: (page, failure) =>
      paymentView(
        page,
        failure?.values._payment ?? '',
        failure && { ...failure, form: `reverse-allocation-${page.params.id}` },
      ),
  });
  pages.action('/finance/interest/:no', {
    form: 'interest',
    route: ['post', '/api/v1/invoices/:no/interest'],
    done: () => '/finance#interest',
    view: (page, failure) => financeView(page, failure && { ...failure, form: `interest-${page.params.no}` }),
  });
}

interface ImportView {
  id: number;
  kind: string;
  fileName: string;
  status: string;
  createdBy: string;
  createdAt: string;
  report: { rowsTotal?: number; rows?: ReportLine[] } & Record<string, unknown>;
}

/** A statement line of an import report: its amounts are decimal texts beside one currency. */
interface ReportLine {
  amount: string;
  currency: string;
  allocations: { invoiceNo: string; amount: string }[];
}

const withMoney = (line: ReportLine) => ({
  ...line,
  sum: { value: line.amount, currency: line.currency },
  allocations: line.allocations.map((a) => ({ ...a, sum: { value: a.amount, currency: line.currency } })),
});

/** Previous/next links of an offset-paged list that shows PAGE_SIZE rows. */
function pager(shown: number, offset: number, link: (offset: number) => string) {
  return {
    previous: offset > 0 ? link(Math.max(0, offset - PAGE_SIZE)) : undefined,
    next: shown === PAGE_SIZE ? link(offset + PAGE_SIZE) : undefined,
  };
}

/** The assign form offers one invoice to pay first; left blank, it names none (a blank array item would be refused). */
function assignBody(values: FormValues): unknown {
  const { 'invoiceNos.0': first, ...others } = values;
  return formBody(AssignPaymentSchema, first?.trim() ? values : others);
}

/**
 * ConsolePages reads url-encoded forms; a file comes as multipart/form-data. This parser runs before the
 * action, so the action reads the upload as a form whose fields are the import route's body: the file's
 * bytes in base64 and its name, beside the form's fields (its _csrf among them).
 */
const readStatementUpload: RequestHandler = (req, _res, next) => {
  if (!req.is('multipart/form-data')) return next();
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      defParamCharset: 'utf8',
      limits: { files: 1, fields: 20, fileSize: STATEMENT_MAX_BYTES },
    });
  } catch (error) {
    return next(refuse('invalid', 'invalid upload', [{ field: 'file', message: (error as Error).message }]));
  }
  const fields: FormValues = {};
  const chunks: Buffer[] = [];
  let tooLarge = false;
  parser.on('field', (name, value) => (fields[name] = value));
  parser.on('file', (_name, stream, info) => {
    if (info.filename) fields.fileName = info.filename;
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('limit', () => (tooLarge = true));
  });
  parser.on('error', next);
  parser.on('close', () => {
    if (tooLarge)
      return next(
        new HttpError(413, 'file too large', [
          {
            field: 'file',
            message: 'a statement uploaded here is at most 100 MB; import larger files with npm run import',
          },
        ]),
      );
    const bad = findBadInput(fields);
    if (bad) return next(refuse('invalid', `invalid ${bad.field ?? 'upload'}`, [bad]));
    const bytes = Buffer.concat(chunks);
    req.body = { ...fields, ...(bytes.length > 0 ? { contentBase64: bytes.toString('base64') } : {}) };
    next();
  });
  req.pipe(parser);
};
