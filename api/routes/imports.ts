import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { sql } from 'kysely';
import type { Db } from '../../db/connect';
import { z } from 'zod';
import { type BankMapping, type MappingName, importBankStatement } from '../../services/imports/bank-statement';
import type { EncodingOption } from '../../services/imports/csv';
import {
  type FileInput,
  HISTORICAL_FILES,
  type HistoricalFile,
  importHistorical,
} from '../../services/imports/historical';
import type { SendTime } from '../../domain/collection';
import { authenticate } from '../auth';
import { cpuFailureAsHttp } from '../cpu-errors';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';
import { invalidInput, notFound, Refused, refuse } from '../../domain/refusal';
import type { ApiRoutes } from '../route';
import { BankStatementImportSchema, type FileSchema, HistoricalImportSchema } from '../schemas/imports';
import { IMPORT_QUERY_DOC, ImportQuerySchema } from '../schemas/finance';

export const IMPORTS_PATH = '/api/v1/imports';
/** Statements and go-live exports are larger than the 1mb every other request is limited to. */
export const IMPORT_BODY_LIMIT = '100mb';
/** An import starts one collection per open invoice after its commit: far longer than a request's usual Temporal deadline. */
const IMPORT_DEADLINE_MS = 30 * 60_000;

/**
 * The body parser for the import routes, mounted before the global 1mb one: the caller is authenticated
 * first, so nobody unknown can make the server read 100mb.
 */
export function importBodyParser(deps: Pick<ApiDeps, 'db'>): (RequestHandler | ErrorRequestHandler)[] {
  const tooLarge: ErrorRequestHandler = (error, _req, _res, next) => {
    next(
      (error as { type?: string }).type === 'entity.too.large'
        ? new HttpError(413, 'request too large', [
            {
              field: 'content',
              message: `an import request is at most ${IMPORT_BODY_LIMIT}; import larger files with npm run import`,
            },
          ])
        : error,
    );
  };
  return [authenticate(deps.db), express.json({ limit: IMPORT_BODY_LIMIT }), tooLarge];
}

function bytesOf(file: z.output<typeof FileSchema>, field: string): { bytes: Buffer; encoding: EncodingOption } {
  if ((file.content === undefined) === (file.contentBase64 === undefined))
    throw invalidInput(`${field}content`, 'give either content (text) or contentBase64');
  if (file.content !== undefined) return { bytes: Buffer.from(file.content, 'utf8'), encoding: 'utf-8' };
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(file.contentBase64!))
    throw invalidInput(`${field}contentBase64`, 'is not base64');
  return { bytes: Buffer.from(file.contentBase64!, 'base64'), encoding: file.encoding };
}

/** A refused file names its field inside the request (files.invoices.content, …); CPU limits become 503s. */
function asHttpError(error: unknown, prefix = ''): unknown {
  if (!(error instanceof Refused)) return cpuFailureAsHttp(error, 'the import');
  if (!prefix || error.kind !== 'invalid') return error;
  const reasons = error.reasons.map((reason) => ({ ...reason, field: `${prefix}${reason.field ?? ''}` }));
  return refuse('invalid', `invalid ${reasons[0]?.field ?? prefix}`, reasons);
}

export function importRoutes(
  routes: ApiRoutes,
  { db, temporal, taskQueue, defaultTimeZone, letterSendTime }: ApiDeps,
): void {
  routes.add({
    method: 'post',
    path: `${IMPORTS_PATH}/bank-statements`,
    summary: 'Import a bank-statement CSV: each credit line becomes a payment, matched or queued for finance',
    roles: ['finance'],
    body: BankStatementImportSchema,
    deadlineMs: IMPORT_DEADLINE_MS,
    responses: {
      201: 'imported; the report counts imported, unmatched, duplicate, skipped and rejected lines',
      400: 'the file or mapping cannot be read',
    },
    async handle({ body, actor }) {
      const { bytes, encoding } = bytesOf(body, '');
      try {
        const report = await importBankStatement(
          { db, temporal },
          {
            fileName: body.fileName,
            bytes,
            encoding,
            mapping: body.mapping as MappingName | BankMapping,
            currency: body.currency,
            timeZone: body.timeZone ?? defaultTimeZone,
          },
          actor,
        );
        return { status: 201, body: report, headers: { Location: `${IMPORTS_PATH}/${report.importId}` } };
      } catch (error) {
        throw asHttpError(error);
      }
    },
  });

  routes.add({
    method: 'post',
    path: `${IMPORTS_PATH}/historical`,
    summary: 'Go-live import of customers, contracts, invoices and settlements: all rows or none',
    roles: ['finance'],
    body: HistoricalImportSchema,
    deadlineMs: IMPORT_DEADLINE_MS,
    responses: {
      201: "imported; open invoices' collections started",
      400: 'rows rejected (nothing imported; the report lists each) or a file cannot be read',
    },
    async handle({ body, actor }) {
      const files: Partial<Record<HistoricalFile, FileInput>> = {};
      for (const name of HISTORICAL_FILES) {
        const file = body[name];
        if (!file) continue;
        const { bytes, encoding } = bytesOf(file, `${name}.`);
        files[name] = { fileName: file.fileName, bytes, encoding };
      }
      if (Object.keys(files).length === 0)
        throw invalidInput('customers', `give at least one of ${HISTORICAL_FILES.join(', ')}`);
      let report;
      try {
        report = await importHistorical(db, files, actor, {
          timeZone: body.timeZone ?? defaultTimeZone,
          collections: { temporal, taskQueue, sendTime: letterSendTime as SendTime },
        });
      } catch (error) {
        throw asHttpError(error);
      }
      if (report.status === 'rejected') {
        const rejected =
          report.customers.rejected +
          report.contracts.rejected +
          report.invoices.rejected +
          report.settlements.rejected;
        return {
          status: 400,
          body: {
            error: `${rejected} row(s) rejected: nothing was imported`,
            details: report.errors
              .slice(0, 1000)
              .map((e) => ({ code: 'rejected_row', field: `${e.file}[${e.row}].${e.field}`, message: e.message })),
            report,
          },
          headers: { Location: `${IMPORTS_PATH}/${report.importId}` },
        };
      }
      return { status: 201, body: report, headers: { Location: `${IMPORTS_PATH}/${report.importId}` } };
    },
  });

  routes.add({
    method: 'get',
    path: `${IMPORTS_PATH}/:id`,
    summary: 'An import with its stored report (a page of its statement lines, when asked)',
    roles: ['finance', 'executive'],
    query: IMPORT_QUERY_DOC,
    responses: { 200: 'the import', 400: 'invalid id or query', 404: 'no such import' },
    async handle({ params, query }) {
      if (!/^\d{1,15}$/.test(params.id)) throw invalidInput('id', 'must be a number');
      const { rowsOffset, rowsLimit } = ImportQuerySchema.parse(query);
      const row = await importWithReport(
        db,
        Number(params.id),
        rowsLimit === undefined ? undefined : { offset: rowsOffset, limit: rowsLimit },
      );
      if (!row) throw notFound(`import ${params.id}`);
      return {
        body: {
          id: row.id,
          kind: row.kind,
          fileName: row.file_name,
          fileSha256: row.file_sha256,
          status: row.status,
          createdBy: row.created_by,
          createdAt: row.created_at,
          report: row.report,
        },
      };
    },
  });
}

/**
 * An import and its report; with a page, the report's statement lines are cut to it in SQL (a statement
 * may have tens of thousands) and `rowsTotal` counts them all.
 */
async function importWithReport(db: Db, id: number, page: { offset: number; limit: number } | undefined) {
  const select = db
    .selectFrom('imports')
    .select(['id', 'kind', 'file_name', 'file_sha256', 'status', 'created_by', 'created_at'])
    .where('id', '=', id);
  if (!page) return select.select('report').executeTakeFirst();
  const last = page.offset + page.limit - 1;
  return select
    .select(
      sql<Record<string, unknown>>`(report - 'rows') || jsonb_build_object(
        'rows', jsonb_path_query_array(report, '$.rows[$from to $to]', jsonb_build_object('from', ${page.offset}::int, 'to', ${last}::int)),
        'rowsTotal', coalesce(jsonb_array_length(report -> 'rows'), 0))`.as('report'),
    )
    .executeTakeFirst();
}
