import type { ApiDeps } from '../../api/deps';
import { AGING_BUCKETS } from '../../domain/aging';
import { addDays, isLocalDate, type LocalDate, localDateOf } from '../../domain/dates';
import { invalidInput } from '../../domain/refusal';
import type { ConsolePages, PageRequest, View } from '../pages';
import { href } from '../links';

/**
 * The dashboard of the business review (finance, executive): aging, DSO and CEI by month, the 13-week
 * forecast, the stage funnel, on-time payment per customer and disputes by reason, each drawn by ECharts
 * from the body of its report route (GET /api/v1/reports/*), with its own date controls and downloads.
 */

type Money = { value: string; currency: string };

interface AgingLine {
  key: string | null;
  name: string | null;
  currency: string;
  total: Money;
  [bucket: string]: unknown;
}
interface AgingBody {
  asOf: string;
  rows: AgingLine[];
  totals: AgingLine[];
}
interface DsoBody {
  currencies: { currency: string; dsoDays: number; averageMethod: { dsoDays: number | null } }[];
}
interface CeiBody {
  currencies: { currency: string; ceiPercent: number | null }[];
}
interface TrendBody {
  months: { month: string; dso: DsoBody['currencies']; cei: CeiBody['currencies'] }[];
}
interface ForecastBody {
  asOf: string;
  buckets: {
    key: string;
    week: number | null;
    start: string | null;
    end: string | null;
    expected: Money;
    invoices: number;
  }[];
  totals: { currency: string; open: Money; invoices: number }[];
}
interface FunnelBody {
  stages: {
    stage: string;
    contracts: number;
    value: Money[];
    timeInStage: { averageDays: number | null; medianDays: number | null };
    timeStuck: { averageDays: number | null; maxDays: number | null };
  }[];
}
interface OnTimeRow {
  customerCode: string;
  name: string;
  paidInvoices: number;
  onTimeInvoices: number;
  onTimePercent: number | null;
  amountWeightedDaysLate: number | null;
}
interface OnTimeBody {
  customers: OnTimeRow[];
  total: Omit<OnTimeRow, 'customerCode' | 'name'>;
}
interface DisputeRow {
  reason: string;
  opened: number;
  resolved: number;
  closedWithInvoice: number;
  averageDaysToResolve: number | null;
}
interface DisputesBody {
  reasons: DisputeRow[];
  total: Omit<DisputeRow, 'reason'>;
}

/** The dashboard's own query parameters: each chart's dates, so one chart's form keeps the others'. */
const PARAMS = [
  'agingAsOf',
  'trendFrom',
  'trendTo',
  'forecastAsOf',
  'onTimeFrom',
  'onTimeTo',
  'disputesFrom',
  'disputesTo',
] as const;
type Param = (typeof PARAMS)[number];
type Params = Record<Param, string>;

const SECTIONS: Record<string, readonly Param[]> = {
  aging: ['agingAsOf'],
  trend: ['trendFrom', 'trendTo'],
  forecast: ['forecastAsOf'],
  funnel: [],
  onTime: ['onTimeFrom', 'onTimeTo'],
  disputes: ['disputesFrom', 'disputesTo'],
};
type Section = keyof typeof SECTIONS;

/** The report routes a download may name, by their last path segment. */
const DOWNLOADS = ['aging', 'dso', 'cei', 'forecast', 'funnel', 'on-time', 'disputes'] as const;
const DOWNLOAD_PARAMS = ['asOf', 'from', 'to', 'groupBy'] as const;

const TREND_MONTHS = 6;
/** As GET /api/v1/reports/trend allows (read-models/reports/trend.ts). */
const MAX_TREND_MONTHS = 12;
/** Customers in the on-time chart: those with the most invoices paid in the period. */
const ON_TIME_CUSTOMERS = 15;
/** Customers named in the aging chart; the rest are one "others" stack. */
const AGING_CUSTOMERS = 6;
/** Report calls at once (one per chart): more at once would crowd the pool. */
const CONCURRENT_REPORTS = 2;

const MONTH = /^\d{4}-\d{2}$/;

function defaults(today: LocalDate): Params {
  const yearAgo = addDays(today, -364);
  return {
    agingAsOf: today,
    trendFrom: monthsBefore(today.slice(0, 7), TREND_MONTHS - 1),
    trendTo: today.slice(0, 7),
    forecastAsOf: today,
    onTimeFrom: yearAgo,
    onTimeTo: today,
    disputesFrom: yearAgo,
    disputesTo: today,
  };
}

function monthsBefore(month: string, count: number): string {
  const [year, mon] = month.split('-').map(Number);
  const index = year * 12 + (mon - 1) - count;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The months from … to, both included. */
function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  for (let month = from; month <= to && months.length <= MAX_TREND_MONTHS; month = monthsBefore(month, -1))
    months.push(month);
  return months;
}

function paramsOf(page: PageRequest, today: LocalDate): Params {
  const params = defaults(today);
  for (const name of PARAMS) {
    const value = page.query[name];
    if (typeof value === 'string' && value.trim() !== '') params[name] = value.trim();
  }
  for (const name of ['trendFrom', 'trendTo'] as const)
    if (!MONTH.test(params[name])) throw invalidInput(name, 'must be a month YYYY-MM');
  if (params.trendFrom > params.trendTo) throw invalidInput('trendFrom', `must not be after ${params.trendTo}`);
  if (monthsBetween(params.trendFrom, params.trendTo).length > MAX_TREND_MONTHS)
    throw invalidInput('trendFrom', `at most ${MAX_TREND_MONTHS} months`);
  return params;
}

async function inTurns<T, R>(items: T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** CSV and XLSX links of one report with its parameters. */
function downloads(report: (typeof DOWNLOADS)[number], params: Record<string, string>) {
  return {
    csv: href(`/dashboard/download/${report}.csv`, params),
    xlsx: href(`/dashboard/download/${report}.xlsx`, params),
  };
}

const amount = (money: Money | undefined) => (money ? Number(money.value) : 0);

/** What every chart shares: the page's font, no animation (screenshots), room for the labels. */
function chart(option: Record<string, unknown>): Record<string, unknown> {
  return {
    animation: false,
    textStyle: { fontFamily: 'Noto Sans SC, system-ui, sans-serif' },
    grid: { left: 8, right: 8, top: 48, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis' },
    legend: { type: 'scroll', top: 0 },
    ...option,
  };
}

type Api = <T>(path: string, query: Record<string, string>) => Promise<T>;

async function agingSection(api: Api, page: PageRequest, params: Params) {
  const body = await api<AgingBody>('/api/v1/reports/aging', { asOf: params.agingAsOf, groupBy: 'customer' });
  // The totals come largest first: the chart draws that currency; the table has them all.
  const currency = body.totals[0]?.currency;
  const drillDown = (bucket: string) => href('/customers', { bucket, asOf: body.asOf, sort: '-agingBalance' });
  const named = body.rows.filter((row) => row.currency === currency).slice(0, AGING_CUSTOMERS);
  const bucketAmount = (line: AgingLine | undefined, key: string) => amount(line?.[key] as Money | undefined);
  const total = body.totals[0];
  const others = AGING_BUCKETS.map(
    (b) => bucketAmount(total, b.key) - named.reduce((sum, row) => sum + bucketAmount(row, b.key), 0),
  );
  const series = [
    ...named.map((row) => ({
      name: row.name ?? row.key ?? '',
      values: AGING_BUCKETS.map((b) => bucketAmount(row, b.key)),
    })),
    ...(others.some((value) => value > 0.005) ? [{ name: page.t('dashboard.others'), values: others }] : []),
  ];
  return {
    asOf: body.asOf,
    currency,
    option: chart({
      xAxis: { type: 'category', data: AGING_BUCKETS.map((b) => page.t(`dashboard.bucket.${b.key}`)) },
      yAxis: { type: 'value', name: currency },
      series: series.map((s) => ({
        name: s.name,
        type: 'bar',
        stack: 'aging',
        barMaxWidth: 64,
        data: s.values.map((value, i) => ({
          value: Math.round(value * 100) / 100,
          href: drillDown(AGING_BUCKETS[i].key),
        })),
      })),
    }),
    // A row per bucket, a column per currency: narrow enough for the card in either language.
    currencies: body.totals.map((line) => line.currency),
    buckets: AGING_BUCKETS.map((b) => ({
      key: b.key,
      href: drillDown(b.key),
      amounts: body.totals.map((line) => line[b.key] as Money),
    })),
    totals: body.totals.map((line) => line.total),
    downloads: downloads('aging', { asOf: body.asOf, groupBy: 'customer' }),
  };
}

/** The first and last day of a month, the last no later than today. */
function monthPeriod(month: string, today: LocalDate): { from: LocalDate; to: LocalDate } {
  const from = `${month}-01`;
  const end = addDays(`${monthsBefore(month, -1)}-01`, -1);
  return { from, to: end < today ? end : today };
}

async function trendSection(api: Api, page: PageRequest, params: Params, today: LocalDate) {
  // One report for the whole range: each month's DSO and CEI as the single-month reports give them.
  const body = await api<TrendBody>('/api/v1/reports/trend', { from: params.trendFrom, to: params.trendTo });
  const months = body.months.map((m) => m.month);
  const figures = body.months.map((m) => ({ month: m.month, dso: { currencies: m.dso }, cei: { currencies: m.cei } }));
  const currencies = [
    ...new Set(figures.flatMap((f) => [...f.dso.currencies, ...f.cei.currencies].map((c) => c.currency))),
  ];
  const dsoOf = (f: (typeof figures)[number], currency: string) =>
    f.dso.currencies.find((c) => c.currency === currency)?.dsoDays ?? null;
  const ceiOf = (f: (typeof figures)[number], currency: string) =>
    f.cei.currencies.find((c) => c.currency === currency)?.ceiPercent ?? null;
  const first = months[0] ? monthPeriod(months[0], today).from : today;
  const last = months.length > 0 ? monthPeriod(months[months.length - 1], today).to : today;
  return {
    from: params.trendFrom,
    to: params.trendTo,
    option: chart({
      xAxis: { type: 'category', data: months },
      yAxis: [
        { type: 'value', name: page.t('dashboard.days') },
        { type: 'value', name: '%', min: 0, max: 100 },
      ],
      series: currencies.flatMap((currency) => [
        { name: `DSO ${currency}`, type: 'line', yAxisIndex: 0, data: figures.map((f) => dsoOf(f, currency)) },
        { name: `CEI ${currency}`, type: 'line', yAxisIndex: 1, data: figures.map((f) => ceiOf(f, currency)) },
      ]),
    }),
    rows: figures.map((f) => ({
      month: f.month,
      values: currencies.map((currency) => ({ currency, dso: dsoOf(f, currency), cei: ceiOf(f, currency) })),
    })),
    currencies,
    downloads: {
      dso: downloads('dso', { from: first, to: last }),
      cei: downloads('cei', { from: first, to: last }),
    },
  };
}

async function forecastSection(api: Api, page: PageRequest, params: Params) {
  const body = await api<ForecastBody>('/api/v1/reports/forecast', { asOf: params.forecastAsOf });
  const currency = body.totals[0]?.currency;
  const buckets = body.buckets.filter((b) => b.expected.currency === currency);
  const weeks = buckets.filter((b) => b.key !== 'disputed');
  const label = (b: ForecastBody['buckets'][number]) =>
    b.week === null ? page.t('dashboard.later') : page.t('dashboard.week', { week: b.week });
  return {
    asOf: body.asOf,
    currency,
    option: chart({
      legend: { show: false },
      xAxis: { type: 'category', data: weeks.map(label) },
      yAxis: { type: 'value', name: currency },
      series: [
        {
          name: page.t('dashboard.expected'),
          type: 'bar',
          barMaxWidth: 40,
          data: weeks.map((b) => amount(b.expected)),
        },
      ],
    }),
    rows: weeks.map((b) => ({ ...b, label: label(b) })),
    disputed: buckets.find((b) => b.key === 'disputed'),
    totals: body.totals,
    downloads: downloads('forecast', { asOf: body.asOf }),
  };
}

async function funnelSection(api: Api, page: PageRequest) {
  const body = await api<FunnelBody>('/api/v1/reports/funnel', {});
  const stages = body.stages.filter((s) => s.stage !== 'Cancelled');
  return {
    option: chart({
      xAxis: {
        type: 'category',
        data: stages.map((s) => page.t(`stage.${s.stage}`)),
        axisLabel: { interval: 0, rotate: 30 },
      },
      yAxis: [
        { type: 'value', name: page.t('dashboard.contracts') },
        { type: 'value', name: page.t('dashboard.days') },
      ],
      series: [
        {
          name: page.t('dashboard.contracts'),
          type: 'bar',
          barMaxWidth: 40,
          data: stages.map((s) => ({ value: s.contracts, href: href('/contracts', { stage: s.stage }) })),
        },
        {
          name: page.t('dashboard.timeStuck'),
          type: 'line',
          yAxisIndex: 1,
          data: stages.map((s) => s.timeStuck.averageDays),
        },
        {
          name: page.t('dashboard.timeInStage'),
          type: 'line',
          yAxisIndex: 1,
          lineStyle: { type: 'dashed' },
          data: stages.map((s) => s.timeInStage.averageDays),
        },
      ],
    }),
    stages: body.stages,
    downloads: downloads('funnel', {}),
  };
}

async function onTimeSection(api: Api, page: PageRequest, params: Params) {
  const body = await api<OnTimeBody>('/api/v1/reports/on-time', { from: params.onTimeFrom, to: params.onTimeTo });
  // The report has every customer that paid; the chart shows those that paid most, worst rate at the top.
  const shown = [...body.customers]
    .sort((a, b) => b.paidInvoices - a.paidInvoices || (a.customerCode < b.customerCode ? -1 : 1))
    .slice(0, ON_TIME_CUSTOMERS)
    .sort((a, b) => (b.onTimePercent ?? 0) - (a.onTimePercent ?? 0));
  return {
    from: params.onTimeFrom,
    to: params.onTimeTo,
    option: chart({
      legend: { show: false },
      // Room for the names set aside by hand: ECharts measures them before the web font has loaded.
      grid: { left: 190, right: 40, top: 16, bottom: 8, containLabel: false },
      xAxis: { type: 'value', min: 0, max: 100, name: '%' },
      yAxis: { type: 'category', data: shown.map((c) => c.name), axisLabel: { width: 150, overflow: 'truncate' } },
      series: [
        {
          name: page.t('dashboard.onTimeRate'),
          type: 'bar',
          barMaxWidth: 18,
          label: { show: true, position: 'right', formatter: '{c}%' },
          data: shown.map((c) => ({
            value: c.onTimePercent,
            href: `/customers/${encodeURIComponent(c.customerCode)}`,
          })),
        },
      ],
    }),
    customers: shown,
    total: body.total,
    count: body.customers.length,
    downloads: downloads('on-time', { from: params.onTimeFrom, to: params.onTimeTo }),
  };
}

async function disputesSection(api: Api, page: PageRequest, params: Params) {
  const body = await api<DisputesBody>('/api/v1/reports/disputes', {
    from: params.disputesFrom,
    to: params.disputesTo,
  });
  const labels = body.reasons.map((r) => page.t(`dashboard.reason.${r.reason}`));
  return {
    from: params.disputesFrom,
    to: params.disputesTo,
    option: chart({
      xAxis: { type: 'category', data: labels, axisLabel: { interval: 0, rotate: labels.length > 4 ? 30 : 0 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { name: page.t('dashboard.opened'), type: 'bar', barMaxWidth: 32, data: body.reasons.map((r) => r.opened) },
        { name: page.t('dashboard.resolved'), type: 'bar', barMaxWidth: 32, data: body.reasons.map((r) => r.resolved) },
      ],
    }),
    reasons: body.reasons,
    total: body.total,
    downloads: downloads('disputes', { from: params.disputesFrom, to: params.disputesTo }),
  };
}

/** Hidden inputs that carry the other charts' dates through one chart's form. */
function carried(params: Params, section: Section) {
  return PARAMS.filter((name) => !SECTIONS[section].includes(name)).map((name) => ({ name, value: params[name] }));
}

async function dashboard(pages: ConsolePages, page: PageRequest, deps: ApiDeps): Promise<View> {
  const today = localDateOf(Date.now(), deps.defaultTimeZone);
  const params = paramsOf(page, today);
  const api: Api = (path, query) => pages.api(page, 'get', path, { query });
  // htmx asks for one chart (?only=aging) when its form changes; without JavaScript the whole page comes.
  const only =
    typeof page.query.only === 'string' && Object.hasOwn(SECTIONS, page.query.only) ? page.query.only : undefined;
  // The DSO/CEI trend (one report of up to 12 months) comes after the page: fetched once shown (htmx on
  // load), or, without JavaScript, by its link.
  const wanted = (section: Section) => (only === undefined ? section !== 'trend' : only === section);
  const trendLater = only === undefined ? href('/dashboard', { ...params, only: 'trend' }) : undefined;
  const [aging, trend, forecast, funnel, onTime, disputes] = await inTurns(
    [
      () => (wanted('aging') ? agingSection(api, page, params) : undefined),
      () => (wanted('trend') ? trendSection(api, page, params, today) : undefined),
      () => (wanted('forecast') ? forecastSection(api, page, params) : undefined),
      () => (wanted('funnel') ? funnelSection(api, page) : undefined),
      () => (wanted('onTime') ? onTimeSection(api, page, params) : undefined),
      () => (wanted('disputes') ? disputesSection(api, page, params) : undefined),
    ],
    CONCURRENT_REPORTS,
    (section) => Promise.resolve(section()),
  );
  return {
    view: 'dashboard/dashboard',
    title: page.t('dashboard.title'),
    data: {
      params,
      today,
      aging,
      trend,
      forecast,
      funnel,
      onTime,
      disputes,
      trendLater,
      carried: Object.fromEntries(Object.keys(SECTIONS).map((s) => [s, carried(params, s)])),
    },
  };
}

/**
 * A report as CSV or XLSX for the signed-in person: the API's report route makes the file (its role
 * check, parameters, snapshot and export thread) and reads the same session cookie, so the link
 * leads there; a console path first, so that without a session it leads to signing in instead.
 */
function downloadTarget(page: PageRequest): string | undefined {
  const { report, format } = page.params;
  if (!(DOWNLOADS as readonly string[]).includes(report) || (format !== 'csv' && format !== 'xlsx')) return undefined;
  const query: Record<string, string> = { format };
  for (const name of DOWNLOAD_PARAMS) {
    const value = page.query[name];
    if (typeof value === 'string' && (name === 'groupBy' || isLocalDate(value))) query[name] = value;
  }
  return href(`/api/v1/reports/${report}`, query);
}

export function registerDashboard(pages: ConsolePages, deps: ApiDeps): void {
  pages.page('/dashboard', (page) => dashboard(pages, page, deps));
  pages.redirect('/dashboard/download/:report.:format', downloadTarget);
}
