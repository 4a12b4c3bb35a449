/** The request bodies of the import routes: a CSV file as text or base64 bytes, a bank statement, the go-live files. */
import { z } from 'zod';
import { SUPPORTED_CURRENCIES } from '../../domain/money';
import { MAPPING_NAMES, type MappingName } from '../../services/imports/bank-statement';
import { ENCODINGS } from '../../services/imports/csv';
import { TimeZoneSchema } from './common';

/** The choices of a statement upload's form (the console's Finance page). */
export { ENCODINGS, MAPPING_NAMES };

export const FileSchema = z.object({
  fileName: z.string().trim().min(1, 'must not be empty').default('upload.csv'),
  content: z.string().optional().describe('the CSV as text (UTF-8 in the JSON)'),
  contentBase64: z.string().optional().describe("the CSV file's bytes in base64, for GBK and other encodings"),
  encoding: z
    .enum(ENCODINGS)
    .default('auto')
    .describe('of contentBase64: auto detects UTF-8 (with or without BOM), else GBK/GB18030'),
});

const MappingSchema = z
  .union([
    z.enum(MAPPING_NAMES as [MappingName, ...MappingName[]]),
    // Field names are checked by validateMapping, which names the unknown one.
    z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  ])
  .describe(
    'a shipped layout (auto, en, zh) or field (date, amount, debitAmount, currency, payerName, payerAccount, remittance, reference) → CSV header, e.g. {"date":"交易日期","amount":"贷方金额"}',
  );

export const BankStatementImportSchema = FileSchema.extend({
  mapping: MappingSchema.default('auto'),
  currency: z
    .enum(SUPPORTED_CURRENCIES as [string, ...string[]])
    .default('CNY')
    .describe('for lines that name no currency'),
  timeZone: TimeZoneSchema.optional(),
}).meta({ id: 'BankStatementImportRequest' });

export const HistoricalImportSchema = z
  .object({
    customers: FileSchema.optional(),
    contracts: FileSchema.optional(),
    invoices: FileSchema.optional(),
    settlements: FileSchema.optional(),
    timeZone: TimeZoneSchema.optional(),
  })
  .meta({ id: 'HistoricalImportRequest' });
