import type { ApiDeps } from '../../api/deps';
import { toHttpError } from '../../api/errors';
import { ResolveDisputeSchema } from '../../api/schemas/collection';
import { daysBetween, localDateOf } from '../../domain/dates';
import { DISPUTE_REASONS } from '../../domain/disputes';
import { type FormFailure, type FormValues, formBody } from '../forms';
import type { ConsolePages, PageRequest, View } from '../pages';
import { withChineseFont } from '../letters';
import type { TaskWording } from '../../domain/task-wording';
import { stepName, taskTitle } from '../task-titles';

type Money = { value: string; currency: string };

interface Invoice {
  no: string;
  contractNo: string;
  milestoneSeq: number;
  customerCode: string;
  amount: Money;
  tax: Money;
  taxRatePercent: string | null;
  balance: Money;
  status: string;
  issueDate: string;
  dueDate: string;
  paidAt: string | null;
  lateInterest: { amount: Money; status: string; note: string | null } | null;
  payments: {
    allocationId: number;
    reference: string;
    receivedOn: string;
    amount: Money;
    allocatedAt: string;
    rule: string;
    reversedAt: string | null;
  }[];
}

interface LadderStep {
  key: string;
  channel: string;
  owner: string;
  date: string;
  repeatEveryDays: number | null;
  lastOccurrence: number;
  state: 'done' | 'skipped' | 'awaiting_approval' | 'paused' | 'next' | 'pending';
}

interface Collection {
  running: true;
  balance: Money;
  policy: { id: string; version: number };
  awaitingApproval?: string;
  nextActionAt?: number;
  pausedBy?: 'dispute' | 'promise';
  disputeId?: string;
  promiseId?: string;
  writeOffRequestedBy?: string;
  ladder: LadderStep[];
}

/** What the collection route answers once the collection has ended. */
interface EndedCollection {
  running: false;
  ended: { outcome: 'paid' | 'written_off'; on: string; at: string | null; reason?: string | null };
}

interface Customer {
  code: string;
  name: string;
  contacts: { role: string; name: string }[];
}

/** The ladder's CSS class for each state (console.css: .ladder li.done/.skipped/.paused/.next). */
const LADDER_CLASS: Record<LadderStep['state'], string> = {
  done: 'done',
  skipped: 'skipped',
  awaiting_approval: 'paused',
  paused: 'paused',
  next: 'next',
  pending: '',
};

/** Letters shown on the page, newest first: a collection sends a few dozen at most. */
const LETTERS_SHOWN = '50';

/** The Invoice page: balance, payments, the ladder, letters, disputes, promises, policy, write-off and approvals. */
export function registerInvoice(pages: ConsolePages, deps: ApiDeps): void {
  const view = async (page: PageRequest, failure?: FormFailure): Promise<View> => {
    const params = { no: page.params.no };
    const invoice = await pages.api<Invoice>(page, 'get', '/api/v1/invoices/:no', { params });
    const [answer, customer, letters, tasks, disputes, promises, policies] = await Promise.all([
      pages
        .api<Collection | EndedCollection>(page, 'get', '/api/v1/invoices/:no/collection', { params })
        .catch(endedIsNull),
      pages.api<Customer>(page, 'get', '/api/v1/customers/:code', { params: { code: invoice.customerCode } }),
      pages.api<Record<string, unknown>[]>(page, 'get', '/api/v1/letters', {
        query: { invoice: invoice.no, body: 'true', limit: LETTERS_SHOWN },
      }),
      pages.api<{ title: string; wording: TaskWording | null }[]>(page, 'get', '/api/v1/tasks', {
        query: { invoice: invoice.no },
      }),
      pages.api<Record<string, unknown>[]>(page, 'get', '/api/v1/invoices/:no/disputes', { params }),
      pages.api<Record<string, unknown>[]>(page, 'get', '/api/v1/invoices/:no/promises', { params }),
      pages.can(page, 'post', '/api/v1/invoices/:no/policy')
        ? pages.api<{ id: string; version: number; name: string }[]>(page, 'get', '/api/v1/policies')
        : Promise.resolve([]),
    ]);
    // A paid invoice whose late interest is still open keeps its collection running, but has no ladder left to show.
    const collection = answer?.running && invoice.status === 'open' ? answer : null;
    const collectionEnd = answer && !answer.running ? answer.ended : null;
    const today = localDateOf(Date.now(), deps.defaultTimeZone);
    const may = (path: string) => pages.can(page, 'post', `/api/v1/invoices/:no/${path}`);
    const formFailure = (form: string) => (failure?.form === form ? failure : undefined);
    return {
      view: 'invoice/index',
      title: page.t('invoice.title', { no: invoice.no }),
      data: {
        invoice,
        customer,
        collection,
        collectionEnd,
        ladder: collection?.ladder.map((step) => ladderStep(page, step)) ?? [],
        daysOverdue: invoice.status === 'open' && invoice.dueDate < today ? daysBetween(invoice.dueDate, today) : 0,
        payments: invoice.payments.map((row) => ({ ...row, failure: formFailure(`reverse-${row.allocationId}`) })),
        letters: letters.map((letter) => ({
          ...letter,
          stepName: stepName(page.locale, String(letter.step)),
          document: withChineseFont(String(letter.bodyHtml ?? '')),
        })),
        tasks: tasks.map((task) => ({ ...task, title: taskTitle(task, page.locale) })),
        disputes,
        promises,
        policies,
        disputeReasons: DISPUTE_REASONS,
        failures: {
          dispute: formFailure('dispute'),
          resolve: formFailure('resolve'),
          promise: formFailure('promise'),
          policy: formFailure('policy'),
          writeOff: formFailure('write-off'),
          writeOffDecision: formFailure('write-off-decision'),
          approval: formFailure('approval'),
          interest: formFailure('interest'),
        },
        may: {
          dispute: may('disputes'),
          resolve: may('disputes/resolve'),
          promise: may('promises'),
          policy: may('policy'),
          writeOff: may('write-off'),
          decideWriteOff: may('write-off/decision'),
          approve: may('approvals'),
          interest: may('interest'),
          reverse: pages.can(page, 'post', '/api/v1/allocations/:id/reverse'),
        },
      },
    };
  };

  pages.page('/invoices/:no', view);
  const done = (_result: unknown, page: PageRequest) => `/invoices/${encodeURIComponent(page.params.no)}`;
  const command = (path: string, form: string, apiPath = path) =>
    pages.action(`/invoices/:no/${path}`, {
      form,
      route: ['post', `/api/v1/invoices/:no/${apiPath}`],
      done,
      view,
      ...(form === 'resolve' ? { body: resolveBody } : {}),
    });
  command('disputes', 'dispute');
  command('disputes/resolve', 'resolve');
  command('promises', 'promise');
  command('policy', 'policy');
  command('write-off', 'write-off');
  command('write-off/decision', 'write-off-decision');
  // My work posts to /invoices/:no/approvals and returns there; this form returns to the invoice.
  command('step-approval', 'approval', 'approvals');
  command('interest', 'interest');
  pages.action('/invoices/:no/allocations/:id/reverse', {
    form: 'reverse',
    route: ['post', '/api/v1/allocations/:id/reverse'],
    params: (page) => ({ id: page.params.id }),
    done,
    view: (page, failure) => view(page, failure && { ...failure, form: `reverse-${page.params.id}` }),
  });
}

/** An invoice without a collection (none was ever started): the page shows the invoice without it. */
function endedIsNull(error: unknown): null {
  if (toHttpError(error).status === 404) return null;
  throw error;
}

/** A step's name in the page's language; a custom policy's own step keeps its key. */
const ladderStep = (page: PageRequest, step: LadderStep) => ({
  ...step,
  name: stepName(page.locale, step.key),
  className: LADDER_CLASS[step.state],
});

/** An accepted dispute may carry a credit note; without an amount, the form sends none. */
function resolveBody(values: FormValues): unknown {
  const { 'credit.value': credit, 'credit.currency': _currency, ...others } = values;
  return formBody(ResolveDisputeSchema, credit?.trim() ? values : others);
}
