import type { ApiDeps } from '../../api/deps';
import { AGING_BUCKETS } from '../../domain/aging';
import { GRADES } from '../../domain/contract-rules';
import { toDecimal } from '../../domain/money';
import type { CustomerListPage } from '../../read-models/customers';
import type { creditView } from '../../read-models/credit';
import type { customerView } from '../../read-models/views';
import type { FormFailure } from '../forms';
import { formatAmount, formatLocalDate } from '../i18n';
import type { ConsolePages, PageRequest, View } from '../pages';
import { href } from '../links';
import type { contactChanges, listContacts } from '../../services/contacts';
import { CONTACT_ROLES } from '../../domain/policy';

const LIST_API = '/api/v1/customers';
const CUSTOMER_API = '/api/v1/customers/:code';
const CREDIT_API = '/api/v1/customers/:code/credit';
const CONTACTS_API = '/api/v1/customers/:code/contacts';
const CONTACT_API = '/api/v1/customers/:code/contacts/:id';

type Customer = Awaited<ReturnType<typeof customerView>>;
type Credit = Awaited<ReturnType<typeof creditView>>;
type Contact = Awaited<ReturnType<typeof listContacts>>[number];
type ContactsAnswer = { contacts: Contact[]; changes: Awaited<ReturnType<typeof contactChanges>> };
type Method = Parameters<ConsolePages['can']>[1];

/** The list's search, filters, sort and page, as the API takes them. */
const LIST_PARAMS = ['q', 'grade', 'hold', 'bucket', 'asOf', 'sort', 'offset'] as const;
type ListParams = Partial<Record<(typeof LIST_PARAMS)[number], string>>;

/** The columns a person can sort by clicking their heading; the first click sorts the way they are read most. */
const SORTABLE: Record<string, { key: string; firstDescending: boolean }> = {
  name: { key: 'name', firstDescending: false },
  grade: { key: 'grade', firstDescending: false },
  exposure: { key: 'exposure', firstDescending: true },
  agingBalance: { key: 'agingBalance', firstDescending: true },
};

const HOLD_FILTERS = ['on', 'off', 'auto', 'manual'] as const;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function listParams(page: PageRequest): ListParams {
  return Object.fromEntries(
    LIST_PARAMS.map((name) => [name, text(page.query[name])]).filter(([, value]) => value !== undefined),
  ) as ListParams;
}

function sortHeadings(params: ListParams) {
  const current = params.sort ?? (params.bucket ? '-agingBalance' : '-exposure');
  return Object.fromEntries(
    Object.entries(SORTABLE).map(([column, { key, firstDescending }]) => {
      const active = current === key || current === `-${key}`;
      const descending = active ? !current.startsWith('-') : firstDescending;
      return [
        column,
        {
          href: href('/customers', { ...params, sort: descending ? `-${key}` : key, offset: undefined }),
          active,
          arrow: active ? (current.startsWith('-') ? '↓' : '↑') : '',
        },
      ];
    }),
  );
}

function options(page: PageRequest, values: readonly string[], prefix: string, selected: string | undefined) {
  return values.map((value) => ({ value, label: page.t(`${prefix}${value}`), selected: value === selected }));
}

async function listView(pages: ConsolePages, page: PageRequest): Promise<View> {
  const params = listParams(page);
  const sort = params.sort ?? (params.bucket ? '-agingBalance' : undefined);
  const result = await pages.api<CustomerListPage>(page, 'get', LIST_API, { query: { ...params, sort } });
  const pageLink = (offset: number | null) =>
    offset === null ? undefined : href('/customers', { ...params, offset: offset > 0 ? String(offset) : undefined });
  const bucket = AGING_BUCKETS.find((b) => b.key === result.aging?.bucket);
  return {
    view: 'customers/list',
    title: page.t('customers.title'),
    data: {
      params,
      customers: result.customers,
      total: result.total,
      from: result.customers.length > 0 ? result.offset + 1 : 0,
      to: result.offset + result.customers.length,
      next: pageLink(result.next),
      previous: result.offset > 0 ? pageLink(Math.max(0, result.offset - result.limit)) : undefined,
      aging: result.aging && bucket && { ...result.aging, label: page.t(`customers.bucket.${bucket.key}`) },
      clearAging: href('/customers', { ...params, bucket: undefined, asOf: undefined, sort: undefined }),
      sorts: sortHeadings(params),
      grades: options(page, [...GRADES, 'none'], 'customers.grade.', params.grade),
      holds: options(page, HOLD_FILTERS, 'customers.holdFilter.', params.hold),
    },
  };
}

/** The customer's forms: each shows only to those whose role may call its route; a refused one keeps its reasons and values. */
function forms(pages: ConsolePages, page: PageRequest, failure: FormFailure | undefined) {
  const form = (name: string, method: Method, route: string) =>
    pages.can(page, method, route)
      ? {
          failure: failure?.form === name ? failure : undefined,
          clearFailure: failure?.form === `${name}-clear` ? failure : undefined,
        }
      : undefined;
  return {
    gradeOverride: form('grade-override', 'put', '/api/v1/customers/:code/credit/grade-override'),
    limitOverride: form('limit-override', 'put', '/api/v1/customers/:code/credit/limit-override'),
    holdRelease: form('hold-release', 'put', '/api/v1/customers/:code/credit/hold-release'),
    evaluate: form('evaluate', 'post', '/api/v1/customers/:code/credit/evaluate'),
    creditHold: form('credit-hold', 'put', '/api/v1/customers/:code/credit-hold'),
    revokePortalLinks: form('revoke-portal-links', 'post', '/api/v1/customers/:code/portal-links/revoke'),
  };
}

/** Points of each factor of the grade formula (domain/credit.ts) out of its maximum, in tenths as stored. */
const FACTOR_MAX_TENTHS = { onTime: 350, daysLate: 250, overdue: 200, promises: 100, disputes: 50, tenure: 50 };

interface GradeFactors {
  points: Record<keyof typeof FACTOR_MAX_TENTHS, number>;
  scoreTenths: number;
  onTimeRatePercent: number;
  weightedDaysLate: number;
  paidInvoices: number;
  onTimeInvoices: number;
  overdueMinor: number;
  limitMinor: number;
  disputes: number;
  brokenPromises: number;
  tenureMonths: number;
  periodFrom: string;
  periodTo: string;
  currency: string;
}

function moneyText(minor: number, currency: string, page: PageRequest): string {
  return formatAmount({ value: toDecimal(minor, currency), currency }, page.locale);
}

function factorRows(page: PageRequest, factors: GradeFactors) {
  const money = (minor: number) => moneyText(minor, factors.currency, page);
  const figures: Record<keyof typeof FACTOR_MAX_TENTHS, string> = {
    onTime: page.t('customers.factorValue.onTime', {
      percent: factors.onTimeRatePercent,
      onTime: factors.onTimeInvoices,
      paid: factors.paidInvoices,
    }),
    daysLate: page.t('customers.factorValue.daysLate', { days: factors.weightedDaysLate }),
    overdue: page.t('customers.factorValue.overdue', {
      overdue: money(factors.overdueMinor),
      limit: money(factors.limitMinor),
    }),
    promises: page.t('customers.factorValue.count', { count: factors.brokenPromises }),
    disputes: page.t('customers.factorValue.count', { count: factors.disputes }),
    tenure: page.t('customers.factorValue.months', { months: factors.tenureMonths }),
  };
  return (Object.keys(FACTOR_MAX_TENTHS) as (keyof typeof FACTOR_MAX_TENTHS)[]).map((factor) => ({
    factor,
    figure: figures[factor],
    points: ((factors.points[factor] ?? 0) / 10).toFixed(1),
    max: FACTOR_MAX_TENTHS[factor] / 10,
  }));
}

/** A warning's figures in a sentence of the page's language. */
function warningText(page: PageRequest, warning: Credit['warnings'][number]): string {
  const figures = warning.figures as Record<string, unknown>;
  const currency = String(figures.currency ?? '');
  const money = (minor: unknown) => moneyText(Number(minor ?? 0), currency, page);
  switch (warning.kind) {
    case 'order_surge':
    case 'order_collapse':
      return page.t('customers.warningText.orders', {
        recent: money(figures.recentMinor),
        recentCount: figures.recentCount,
        average: money(figures.averagePerPeriodMinor),
        ratio: figures.ratioPercent,
      });
    case 'payment_delay_trend':
      return page.t('customers.warningText.delays', {
        days: Array.isArray(figures.daysLate) ? figures.daysLate.join(' → ') : '',
      });
    case 'term_extension_while_late':
      return page.t('customers.warningText.extension', {
        by: figures.requestedBy,
        days: figures.requestedDays,
        overdue: money(figures.overdueMinor),
        oldest: figures.oldestDaysOverdue,
      });
  }
}

/** Exposure against the limit in force, for the bar: its share, capped at the bar's end. */
function limitUse(credit: Credit) {
  const limit = Number(credit.effectiveCreditLimit.value);
  const exposure = Number(credit.exposure.total.value);
  const ratio = limit > 0 ? exposure / limit : exposure > 0 ? Infinity : 0;
  return {
    percent: Number.isFinite(ratio) ? Math.round(ratio * 100) : null,
    width: Math.min(100, Number.isFinite(ratio) ? Math.round(ratio * 100) : 100),
    over: credit.exposure.overLimit,
  };
}

async function customerPage(pages: ConsolePages, page: PageRequest, failure?: FormFailure): Promise<View> {
  if (failure?.status === 403) return forbidden(page, failure);
  const params = { code: page.params.code };
  const [customer, credit, contacts] = await Promise.all([
    pages.api<Customer>(page, 'get', CUSTOMER_API, { params }),
    pages.api<Credit>(page, 'get', CREDIT_API, { params }),
    pages.api<ContactsAnswer>(page, 'get', CONTACTS_API, { params }),
  ]);
  const factors = credit.gradeFactors as GradeFactors | null;
  return {
    view: 'customers/customer',
    title: `${customer.name} · ${page.t('customers.customer')}`,
    data: {
      customer,
      credit,
      factors: factors && {
        rows: factorRows(page, factors),
        score: (factors.scoreTenths / 10).toFixed(1),
        period: page.t('customers.factorsPeriod', {
          from: formatLocalDate(factors.periodFrom, page.locale),
          to: formatLocalDate(factors.periodTo, page.locale),
        }),
      },
      warnings: credit.warnings.map((w) => ({ kind: w.kind, text: warningText(page, w) })),
      limitUse: limitUse(credit),
      forms: forms(pages, page, failure),
      grades: GRADES,
      contractsHref: href('/contracts', { customer: customer.code }),
      contacts: contactsView(pages, page, contacts, failure),
    },
  };
}

/**
 * The contacts by role with their forms: add, and per contact change and remove, shown to those who may call the
 * routes; a refused form keeps its reasons and values (a contact's own, by the id in the action's path).
 */
function contactsView(pages: ConsolePages, page: PageRequest, answer: ContactsAnswer, failure?: FormFailure) {
  const mayChange = pages.can(page, 'put', CONTACT_API);
  const mayRemove = pages.can(page, 'delete', CONTACT_API);
  const own = (form: string, id: number) =>
    failure?.form === form && page.params.id === String(id) ? failure : undefined;
  const roles = (selected: string | undefined) =>
    CONTACT_ROLES.map((role) => ({ value: role, selected: role === selected }));
  const addFailure = failure?.form === 'contact-add' ? failure : undefined;
  return {
    rows: answer.contacts.map((contact) => {
      const changeFailure = own('contact-change', contact.id);
      const values = changeFailure?.values ?? {};
      return {
        ...contact,
        change: mayChange && {
          failure: changeFailure,
          open: Boolean(changeFailure),
          roles: roles(values.role ?? contact.role),
          name: values.name ?? contact.name,
          email: values.email ?? contact.email,
          phone: values.phone ?? contact.phone ?? '',
        },
        remove: mayRemove && { failure: own('contact-remove', contact.id) },
      };
    }),
    add: pages.can(page, 'post', CONTACTS_API) && {
      failure: addFailure,
      roles: roles(addFailure?.values.role),
    },
    changes: answer.changes.map((change) => {
      const details = change.details as { role?: string; fromRole?: string; fields?: string[] };
      return {
        ...change,
        role: details.role,
        fromRole: details.fromRole,
        fields: (details.fields ?? [])
          .map((field) => page.t(`customers.contactField.${field}`))
          .join(page.t('customers.listSep')),
      };
    }),
  };
}

function forbidden(page: PageRequest, failure: FormFailure): View {
  return {
    view: 'error',
    title: page.t('error.403'),
    status: 403,
    data: { status: 403, message: failure.message, reasons: failure.reasons },
  };
}

/** Customers: the list with grade, exposure and hold, and each customer's credit with the forms of its credit control. */
export function registerCustomers(pages: ConsolePages, _deps: ApiDeps): void {
  const view = (page: PageRequest, failure?: FormFailure) => customerPage(pages, page, failure);
  const back = (_: unknown, page: PageRequest) => `/customers/${encodeURIComponent(page.params.code)}`;

  pages.page('/customers', (page) => listView(pages, page));
  pages.page('/customers/:code', view);

  pages.action('/customers/:code/grade-override', {
    form: 'grade-override',
    route: ['put', '/api/v1/customers/:code/credit/grade-override'],
    done: back,
    view,
  });
  pages.action('/customers/:code/grade-override/clear', {
    form: 'grade-override-clear',
    route: ['put', '/api/v1/customers/:code/credit/grade-override'],
    body: (values) => ({ grade: null, reason: values.reason }),
    done: back,
    view,
  });
  pages.action('/customers/:code/limit-override', {
    form: 'limit-override',
    route: ['put', '/api/v1/customers/:code/credit/limit-override'],
    done: back,
    view,
  });
  pages.action('/customers/:code/limit-override/clear', {
    form: 'limit-override-clear',
    route: ['put', '/api/v1/customers/:code/credit/limit-override'],
    body: (values) => ({ limit: null, reason: values.reason }),
    done: back,
    view,
  });
  pages.action('/customers/:code/hold-release', {
    form: 'hold-release',
    route: ['put', '/api/v1/customers/:code/credit/hold-release'],
    done: back,
    view,
  });
  pages.action('/customers/:code/hold-release/end', {
    form: 'hold-release-clear',
    route: ['put', '/api/v1/customers/:code/credit/hold-release'],
    body: (values) => ({ until: null, reason: values.reason }),
    done: back,
    view,
  });
  pages.action('/customers/:code/evaluate', {
    form: 'evaluate',
    route: ['post', '/api/v1/customers/:code/credit/evaluate'],
    done: back,
    view,
  });
  pages.action('/customers/:code/portal-links/revoke', {
    form: 'revoke-portal-links',
    route: ['post', '/api/v1/customers/:code/portal-links/revoke'],
    body: () => ({}),
    done: back,
    view,
  });
  const toContacts = (_: unknown, page: PageRequest) => `/customers/${encodeURIComponent(page.params.code)}#contacts`;
  pages.action('/customers/:code/contacts', {
    form: 'contact-add',
    route: ['post', CONTACTS_API],
    done: toContacts,
    view,
  });
  pages.action('/customers/:code/contacts/:id', {
    form: 'contact-change',
    route: ['put', CONTACT_API],
    // Every field as shown: an emptied phone removes it.
    body: (values) => ({ role: values.role, name: values.name, email: values.email, phone: values.phone ?? '' }),
    done: toContacts,
    view,
  });
  pages.action('/customers/:code/contacts/:id/remove', {
    form: 'contact-remove',
    route: ['delete', CONTACT_API],
    body: () => undefined,
    done: toContacts,
    view,
  });
  pages.action('/customers/:code/credit-hold', {
    form: 'credit-hold',
    route: ['put', '/api/v1/customers/:code/credit-hold'],
    done: back,
    view,
  });
}
