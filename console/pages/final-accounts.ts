import type { ApiDeps } from '../../api/deps';
import { isLocalDate, localDateOf } from '../../domain/dates';
import type { ConsolePages, PageRequest, View } from '../pages';
import { href } from '../links';

/**
 * The final accounts (决算) of closed contracts, beside the dashboard (finance, executive): the report
 * route's filters (period of close, customer, department), its pages, its totals and its downloads.
 */

const REPORT_API = '/api/v1/reports/final-accounts';
const PAGE = '/dashboard/final-accounts';
const FILTERS = ['from', 'to', 'customer', 'department'] as const;
const PAGE_SIZE = '50';

/** The part of the report's body the page reads; the template shows the rest as it comes. */
interface ReportBody {
  accounts: unknown[];
  totals: unknown[];
  next: string | null;
}

function filtersOf(page: PageRequest, today: string): Record<(typeof FILTERS)[number], string> {
  const value = (name: string) => (typeof page.query[name] === 'string' ? page.query[name].trim() : '');
  return {
    from: value('from') || `${today.slice(0, 4)}-01-01`,
    to: value('to') || today,
    customer: value('customer'),
    department: value('department'),
  };
}

async function finalAccountsPage(pages: ConsolePages, deps: ApiDeps, page: PageRequest): Promise<View> {
  const today = localDateOf(Date.now(), deps.defaultTimeZone);
  const filters = filtersOf(page, today);
  const cursor = typeof page.query.cursor === 'string' && page.query.cursor !== '' ? page.query.cursor : undefined;
  const body = await pages.api<ReportBody>(page, 'get', REPORT_API, {
    query: { ...filters, limit: PAGE_SIZE, cursor },
  });
  return {
    view: 'dashboard/final-accounts',
    title: page.t('finalAccounts.title'),
    data: {
      filters,
      report: body,
      next: body.next ? href(PAGE, { ...filters, cursor: body.next }) : undefined,
      first: cursor ? href(PAGE, filters) : undefined,
      downloads: {
        csv: href(`${PAGE}/download.csv`, filters),
        xlsx: href(`${PAGE}/download.xlsx`, filters),
      },
    },
  };
}

/** The download is the API's (its role check, snapshot and export thread), behind the console's session. */
function downloadTarget(page: PageRequest): string | undefined {
  const { format } = page.params;
  if (format !== 'csv' && format !== 'xlsx') return undefined;
  const query: Record<string, string> = { format };
  for (const name of FILTERS) {
    const value = page.query[name];
    if (typeof value !== 'string' || value === '') continue;
    if ((name === 'from' || name === 'to') && !isLocalDate(value)) continue;
    query[name] = value;
  }
  return href(REPORT_API, query);
}

export function registerFinalAccounts(pages: ConsolePages, deps: ApiDeps): void {
  pages.page(PAGE, (page) => finalAccountsPage(pages, deps, page));
  pages.redirect(`${PAGE}/download.:format`, downloadTarget);
}
