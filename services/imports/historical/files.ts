/** The four files of a go-live import, their columns, and reading each into cells by field. */
import { type EncodingOption, type ReadFile, columnOf, readCsvFileOffLoop } from '../csv';
import { YIELD_EVERY, yieldToLoop } from './batches';

export const HISTORICAL_FILES = ['customers', 'contracts', 'invoices', 'settlements'] as const;
export type HistoricalFile = (typeof HISTORICAL_FILES)[number];

interface ColumnSpec {
  names: string[];
  required: boolean;
}
const col = (required: boolean, ...names: string[]): ColumnSpec => ({ names, required });

/** The columns of each file: English names (case, spaces and underscores do not matter) or the Chinese ones. */
export const HISTORICAL_COLUMNS = {
  customers: {
    code: col(true, 'code', 'customer_code', '客户编码', '客户代码'),
    name: col(true, 'name', 'customer_name', '客户名称'),
    creditLimit: col(true, 'credit_limit', '信用额度'),
    currency: col(true, 'currency', '币种'),
    locale: col(false, 'locale', 'language', '语言'),
    timeZone: col(false, 'time_zone', 'timezone', '时区'),
    // The payment owner (付款负责人), who receives the collection letters.
    contactName: col(true, 'contact_name', 'contact', 'payment_owner_name', 'payment_owner', '联系人', '付款负责人'),
    contactEmail: col(true, 'contact_email', 'email', 'payment_owner_email', '联系人邮箱', '邮箱', '付款负责人邮箱'),
    grade: col(false, 'grade', '信用等级'),
    // The other contact roles (domain/policy.ts CONTACT_ROLES), each a name and an address, both or neither.
    decisionMakerName: col(false, 'decision_maker_name', 'decision_maker', '决策人'),
    decisionMakerEmail: col(false, 'decision_maker_email', '决策人邮箱'),
    acceptanceOwnerName: col(false, 'acceptance_owner_name', 'acceptance_owner', '验收负责人', '验收人'),
    acceptanceOwnerEmail: col(false, 'acceptance_owner_email', '验收负责人邮箱', '验收人邮箱'),
    customerFinanceName: col(false, 'customer_finance_name', 'customer_finance', 'finance_contact', '客户财务'),
    customerFinanceEmail: col(false, 'customer_finance_email', 'finance_contact_email', '客户财务邮箱'),
  },
  contracts: {
    no: col(true, 'contract_no', 'no', '合同编号', '合同号'),
    customerCode: col(true, 'customer_code', 'customer', '客户编码'),
    title: col(true, 'title', 'name', '合同名称'),
    amount: col(true, 'amount', '合同金额', '金额'),
    currency: col(true, 'currency', '币种'),
    department: col(false, 'department', '部门'),
    owner: col(false, 'owner', 'account_owner', '负责人'),
    signedOn: col(false, 'signed_date', 'signed_on', '签订日期', '签约日期'),
    // The contract's terms, stored as signing stores them (domain/contract-rules.ts ContractTerms).
    lateInterestRate: col(
      false,
      'late_interest_rate',
      'late_interest_rate_percent',
      'interest_rate',
      '逾期利率',
      '逾期利息年利率',
      '逾期利息利率',
    ),
    penaltyClause: col(false, 'penalty_clause', 'penalty', '违约条款', '违约金条款'),
    paymentMethod: col(false, 'payment_method', '付款方式'),
  },
  invoices: {
    no: col(true, 'invoice_no', 'no', '发票号', '发票号码'),
    contractNo: col(true, 'contract_no', '合同编号'),
    issueDate: col(true, 'issue_date', '开票日期'),
    dueDate: col(true, 'due_date', '到期日', '应收日期'),
    amount: col(true, 'amount', '发票金额', '金额'),
    disputed: col(false, 'disputed', 'dispute', '争议', '是否争议'),
    disputeOpenedOn: col(
      false,
      'dispute_opened_date',
      'dispute_opened_on',
      'dispute_opened',
      '争议日期',
      '争议开始日期',
    ),
    disputeResolvedOn: col(false, 'dispute_resolved_date', 'dispute_resolved_on', 'dispute_resolved', '争议解决日期'),
  },
  settlements: {
    invoiceNo: col(true, 'invoice_no', '发票号', '发票号码'),
    settledOn: col(true, 'settled_date', 'settled_on', '回款日期', '收款日期'),
    amount: col(true, 'amount', '回款金额', '金额'),
    reference: col(false, 'reference', '银行流水号', '流水号'),
  },
} as const satisfies Record<HistoricalFile, Record<string, ColumnSpec>>;

export interface FileInput {
  fileName: string;
  bytes: Buffer;
  encoding?: EncodingOption;
}

/** A row's cells by field (a key of HISTORICAL_COLUMNS); undefined when the file has no such column. */
export type Cells = Record<string, string | undefined>;

export interface FileRows {
  table: ReadFile;
  rows: { row: number; cells: Cells }[];
  sha256: string;
}

/** The files given, as read. */
export type Tables = Partial<Record<HistoricalFile, FileRows>>;

function columnsOf(file: HistoricalFile): Record<string, ColumnSpec> {
  return HISTORICAL_COLUMNS[file];
}

/** The column of `field` as the file names it, or the field itself when the file has no such column. */
export function headerOf(table: FileRows, file: HistoricalFile, field: string): string {
  const i = columnOf(table.table.headers, columnsOf(file)[field].names);
  return i === undefined ? field : table.table.headers[i];
}

/** Reads the given files one after the other; a missing required column stops the import with a 400. */
export async function readFiles(
  files: Partial<Record<HistoricalFile, FileInput>>,
  given: HistoricalFile[],
): Promise<Tables> {
  const tables: Tables = {};
  for (const file of given) tables[file] = await readFile(file, files[file]!);
  return tables;
}

/** Reads one file's rows into cells by field (the parse on a CPU thread). */
async function readFile(file: HistoricalFile, input: FileInput): Promise<FileRows> {
  const specs = columnsOf(file);
  const required = Object.values(specs)
    .filter((s) => s.required)
    .map((s) => s.names);
  const table = await readCsvFileOffLoop(input.bytes, input.encoding ?? 'auto', `${file}.encoding`, file, required);
  const indexes = Object.entries(specs).map(([field, spec]) => [field, columnOf(table.headers, spec.names)] as const);
  const rows: FileRows['rows'] = [];
  for (const { line, cells } of table.rows) {
    rows.push({
      row: line,
      cells: Object.fromEntries(indexes.map(([field, i]) => [field, i === undefined ? undefined : (cells[i] ?? '')])),
    });
    if (rows.length % YIELD_EVERY === 0) await yieldToLoop();
  }
  return { table, rows, sha256: table.sha256 };
}
