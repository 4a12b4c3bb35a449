import type { NextFunction, Request, Response, Router } from 'express';
import { AGING_GROUPS, type AgingGroup, MAX_AGING_LIMIT, agingReport } from '../../read-models/reports/aging';
import { disputesReport, onTimeReport, promisesReport } from '../../read-models/reports/behaviour';
import { forecastReport } from '../../read-models/reports/forecast';
import {
  DEFAULT_FINAL_ACCOUNTS_LIMIT,
  MAX_FINAL_ACCOUNTS_LIMIT,
  finalAccountsReport,
} from '../../read-models/reports/final-accounts';
import { funnelReport } from '../../read-models/reports/funnel';
import { ceiReport, dsoReport, overdueRatioReport, type Period } from '../../read-models/reports/receivables';
import { inReportSnapshot } from '../../read-models/reports/session';
import { MAX_TREND_MONTHS, trendReport } from '../../read-models/reports/trend';
import type { Report } from '../../read-models/reports/table';
import type { Db } from '../../db/connect';
import { daysBetween, isLocalDate, isTimeZone, type LocalDate, localDateOf } from '../../domain/dates';
import type { Role } from '../../domain/roles';
import { requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { invalidInput } from '../../domain/refusal';
import { EXPORT_FORMATS, type ExportFormat, exportFile } from '../export';
import type { ApiRoutes } from '../route';
import { TREND_QUERY_DOC, trendQuerySchema } from '../schemas/reports';

/** The business-review figures are finance's and management's. */
const REPORT_ROLES: readonly Role[] = ['finance', 'executive'];
const MAX_PERIOD_DAYS = 3660;

type Query = Record<string, unknown>;

/** A query parameter given at most once, as text. */
function textParam(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw invalidInput(name, 'must be given once, as text');
  return value;
}

function enumParam<T extends string>(query: Query, name: string, allowed: readonly T[], fallback: T): T {
  const value = textParam(query, name) ?? fallback;
  if (!(allowed as readonly string[]).includes(value)) throw invalidInput(name, `must be one of ${allowed.join(', ')}`);
  return value as T;
}

function dateParam(query: Query, name: string, fallback: LocalDate): LocalDate {
  const value = textParam(query, name) ?? fallback;
  if (!isLocalDate(value)) throw invalidInput(name, `must be a date YYYY-MM-DD, not "${value}"`);
  return value;
}

function timeZoneParam(query: Query, fallback: string): string {
  const value = textParam(query, 'timeZone') ?? fallback;
  if (!isTimeZone(value))
    throw invalidInput('timeZone', `must be an IANA time zone such as Asia/Shanghai, not "${value}"`);
  return value;
}

/** Report inputs every report may use: the zone that dates are read in and today there. */
interface Scope {
  timeZone: string;
  today: LocalDate;
}

function scopeOf(query: Query, defaultTimeZone: string): Scope {
  const timeZone = timeZoneParam(query, defaultTimeZone);
  return { timeZone, today: localDateOf(Date.now(), timeZone) };
}

const asOfParam = (query: Query, scope: Scope) => ({
  asOf: dateParam(query, 'asOf', scope.today),
  timeZone: scope.timeZone,
});

/** from … to, both inclusive; by default the month of `to` up to `to`, and `to` is today. */
function periodParam(query: Query, scope: Scope): Period {
  const to = dateParam(query, 'to', scope.today);
  const from = dateParam(query, 'from', `${to.slice(0, 8)}01`);
  if (from > to) throw invalidInput('from', `must not be after to (${to})`);
  if (daysBetween(from, to) >= MAX_PERIOD_DAYS)
    throw invalidInput('from', `the period may be at most ${MAX_PERIOD_DAYS} days`);
  return { from, to, timeZone: scope.timeZone };
}

/** limit (1–MAX_AGING_LIMIT) and offset (≥ 0) of the aging's lines; both absent: every line. */
function agingPageParam(query: Query): { limit?: number; offset?: number } {
  const limitText = textParam(query, 'limit');
  const offsetText = textParam(query, 'offset');
  if (limitText === undefined && offsetText === undefined) return {};
  const limit = Number(limitText ?? MAX_AGING_LIMIT);
  if (!/^\d{1,4}$/.test(limitText ?? '0') || limit < 1 || limit > MAX_AGING_LIMIT)
    throw invalidInput('limit', `must be a whole number from 1 to ${MAX_AGING_LIMIT}`);
  if (!/^\d{1,9}$/.test(offsetText ?? '0')) throw invalidInput('offset', 'must be a whole number, 0 or more');
  return { limit, offset: Number(offsetText ?? 0) };
}

interface ReportDefinition {
  path: string;
  summary: string;
  query: Record<string, string>;
  run(db: Db, query: Query, scope: Scope): Promise<Report>;
}

const AS_OF_DOC = {
  asOf: 'date YYYY-MM-DD, default today',
  timeZone: 'IANA zone the dates are read in, default DEFAULT_TIME_ZONE (Asia/Shanghai)',
};
const PERIOD_DOC = {
  from: 'first day YYYY-MM-DD, default the first of the month of `to`',
  to: 'last day YYYY-MM-DD, default today',
  timeZone: AS_OF_DOC.timeZone,
};
const FORMAT_DOC = { format: 'json (default), csv (UTF-8 with BOM) or xlsx' };

const REPORTS: ReportDefinition[] = [
  {
    path: '/api/v1/reports/aging',
    summary:
      'AR aging as of a date: current, 1-30, 31-60, 61-90, 90+ days past due, by customer, owner, contract or department, with totals. ' +
      `A top-N or a page of lines (aging by contract has one per contract with an open invoice): limit 1–${MAX_AGING_LIMIT} ` +
      'and offset (default 0) give the lines ranked offset+1 … offset+limit by total, with page.lines, how many there are; the totals stay whole',
    query: { ...AS_OF_DOC, groupBy: `${AGING_GROUPS.join(' | ')}, default customer` },
    run: (db, query, scope) =>
      agingReport(db, {
        ...asOfParam(query, scope),
        groupBy: enumParam<AgingGroup>(query, 'groupBy', AGING_GROUPS, 'customer'),
        ...agingPageParam(query),
      }),
  },
  {
    path: '/api/v1/reports/dso',
    summary: 'Days sales outstanding at the end of a period, countback method (average method alongside)',
    query: PERIOD_DOC,
    run: (db, query, scope) => dsoReport(db, periodParam(query, scope)),
  },
  {
    path: '/api/v1/reports/cei',
    summary: 'Collection effectiveness index for a period',
    query: PERIOD_DOC,
    run: (db, query, scope) => ceiReport(db, periodParam(query, scope)),
  },
  {
    path: '/api/v1/reports/trend',
    summary:
      `DSO (countback and average method) and CEI of each month from \`from\` to \`to\` (at most ${MAX_TREND_MONTHS}), ` +
      'the figures the DSO and CEI reports give for each month (its first day to its last, or to today), in one answer',
    query: { ...TREND_QUERY_DOC, timeZone: AS_OF_DOC.timeZone },
    run: (db, query, scope) => trendReport(db, { ...trendQuerySchema(scope.today.slice(0, 7)).parse(query), ...scope }),
  },
  {
    path: '/api/v1/reports/overdue-ratio',
    summary: 'Overdue receivables / all receivables as of a date',
    query: AS_OF_DOC,
    run: (db, query, scope) => overdueRatioReport(db, asOfParam(query, scope)),
  },
  {
    path: '/api/v1/reports/on-time',
    summary:
      'Per customer: on-time payment rate and average days late (plain and amount-weighted) over invoices paid in a period',
    query: PERIOD_DOC,
    run: (db, query, scope) => onTimeReport(db, periodParam(query, scope)),
  },
  {
    path: '/api/v1/reports/promises',
    summary: 'Promises to pay kept and broken in a period, per customer and in all',
    query: PERIOD_DOC,
    run: (db, query, scope) => promisesReport(db, periodParam(query, scope)),
  },
  {
    path: '/api/v1/reports/disputes',
    summary: 'Disputes by reason: opened and resolved in a period, average days to resolve',
    query: PERIOD_DOC,
    run: (db, query, scope) => disputesReport(db, periodParam(query, scope)),
  },
  {
    path: '/api/v1/reports/forecast',
    summary:
      "13-week cash-collection forecast from the receivables open on a date and each customer's payment behaviour",
    query: AS_OF_DOC,
    run: (db, query, scope) => forecastReport(db, asOfParam(query, scope)),
  },
  {
    path: '/api/v1/reports/funnel',
    summary:
      'Contract stage funnel: contracts and value per stage, time spent per stage, time stuck in the current stage',
    query: { timeZone: AS_OF_DOC.timeZone },
    run: (db, _query, scope) => funnelReport(db, scope),
  },
  {
    path: '/api/v1/reports/final-accounts',
    summary:
      'Final accounts (决算) of the contracts closed in a period: invoiced, collected, written off, interest, costs and margin against the estimate and the budget, newest close first, a page at a time, with totals per currency',
    query: {
      from: 'first day of close YYYY-MM-DD, default the first of January of `to`',
      to: 'last day of close YYYY-MM-DD, default today',
      timeZone: AS_OF_DOC.timeZone,
      customer: 'one customer (code)',
      department: 'one department',
      limit: `1–${MAX_FINAL_ACCOUNTS_LIMIT}, default ${DEFAULT_FINAL_ACCOUNTS_LIMIT} (a download has every row)`,
      cursor: 'the "next" of the previous page',
    },
    run: (db, query, scope) => {
      const to = dateParam(query, 'to', scope.today);
      const from = textParam(query, 'from') ?? `${to.slice(0, 4)}-01-01`;
      const period = periodParam({ ...query, from, to }, scope);
      const limitText = textParam(query, 'limit');
      const limit = limitText === undefined ? DEFAULT_FINAL_ACCOUNTS_LIMIT : Number(limitText);
      if (!/^\d{1,4}$/.test(limitText ?? '0') || limit < 1 || limit > MAX_FINAL_ACCOUNTS_LIMIT)
        throw invalidInput('limit', `must be a whole number from 1 to ${MAX_FINAL_ACCOUNTS_LIMIT}`);
      const format = textParam(query, 'format');
      return finalAccountsReport(db, {
        ...period,
        customer: textParam(query, 'customer'),
        department: textParam(query, 'department'),
        limit,
        cursor: textParam(query, 'cursor'),
        all: format === 'csv' || format === 'xlsx',
      });
    },
  },
];

/** ?format=csv|xlsx is answered here, before the JSON route, as a download of the same report. */
function exportHandler(db: Db, defaultTimeZone: string, report: ReportDefinition) {
  return (req: Request, res: Response, next: NextFunction) => {
    const format = req.query.format;
    if (format !== 'csv' && format !== 'xlsx') return next();
    (async () => {
      requireRole(req.actor, REPORT_ROLES, `GET ${report.path}`);
      const query = req.query as Query;
      const scope = scopeOf(query, defaultTimeZone);
      const file = await exportFile(
        await inReportSnapshot(db, (snapshot) => report.run(snapshot, query, scope)),
        format,
      );
      res.setHeader('Content-Type', file.contentType);
      res.setHeader('Content-Disposition', `attachment; filename="${file.fileName}"`);
      res.status(200).send(file.content);
    })().catch(next);
  };
}

export function reportRoutes(routes: ApiRoutes, deps: ApiDeps, router: Router): void {
  const { defaultTimeZone } = deps;
  // A separate read-only pool when REPORTS_DATABASE_URL is set (a replica): the reports' long reads stay off
  // the pool the commands write through.
  const db = deps.reportsDb ?? deps.db;
  for (const report of REPORTS) {
    router.get(report.path, exportHandler(db, defaultTimeZone, report));
    routes.add({
      method: 'get',
      path: report.path,
      summary: report.summary,
      roles: REPORT_ROLES,
      query: { ...report.query, ...FORMAT_DOC },
      responses: {
        200: 'the report (JSON, or a CSV / XLSX download)',
        400: 'invalid parameter, named',
        403: 'not finance or executive',
      },
      async handle({ query }) {
        enumParam<ExportFormat>(query, 'format', EXPORT_FORMATS, 'json');
        const scope = scopeOf(query, defaultTimeZone);
        return { body: (await inReportSnapshot(db, (snapshot) => report.run(snapshot, query, scope))).body };
      },
    });
  }
}
