/** The typed rows the parse step makes of the files' cells, and the cross-check and write steps use. */
import type { Grade } from '../../../domain/contract-rules';
import type { DisputeReason } from '../../../domain/disputes';
import type { Locale } from '../../../domain/locales';
import type { ContactRole } from '../../../domain/policy';

/** A dispute flagged in the old system names no reason; it is opened with this one and the note below. */
export const IMPORTED_DISPUTE_REASON: DisputeReason = 'customer_process_blocked';
export const IMPORTED_DISPUTE_NOTE = 'imported at go-live';
/** The outcome of a dispute the old system had resolved: the file says when, not whether it was accepted. */
export const IMPORTED_DISPUTE_OUTCOME = 'resolved_before_go_live';

/** A contact of a role other than the payment owner (the customers file's contact_name / contact_email). */
export interface ContactIn {
  role: Exclude<ContactRole, 'payment_owner'>;
  name: string;
  email: string;
}

/** The terms a contract's row carries, with the names signing stores them under. */
export interface ContractTermsIn {
  lateInterestRatePercent?: string;
  penaltyClause?: string;
  paymentMethod?: string;
}

export interface CustomerIn {
  row: number;
  code: string;
  name: string;
  creditLimitMinor: number;
  currency: string;
  locale: Locale;
  timeZone: string;
  contactName: string;
  contactEmail: string;
  grade: Grade | null;
  otherContacts: ContactIn[];
}

export interface ContractIn {
  row: number;
  no: string;
  customerCode: string;
  title: string;
  amountMinor: number;
  currency: string;
  department: string | null;
  owner: string | null;
  signedOn: string | null;
  terms: ContractTermsIn;
}

/** amountMinor is 0 until the cross-check reads amountText in the currency of the invoice's contract. */
export interface InvoiceIn {
  row: number;
  no: string;
  contractNo: string;
  issueDate: string;
  dueDate: string;
  amountMinor: number;
  disputeReason: DisputeReason | null;
  /** When the dispute was opened and resolved, if the file says; only with a dispute reason. */
  disputeOpenedOn: string | null;
  disputeResolvedOn: string | null;
  amountText: string;
}

/** amountMinor is 0 until the cross-check reads amountText in the currency of the invoice's contract. */
export interface SettlementIn {
  row: number;
  invoiceNo: string;
  settledOn: string;
  amountMinor: number;
  reference: string;
  amountText: string;
  /** false when the reference is the generated HIST-<invoice>-<n>. */
  givenReference: boolean;
}

/** The rows without errors: customers, contracts and invoices by key (first row wins), settlements in file order. */
export interface ParsedRows {
  customers: Map<string, CustomerIn>;
  contracts: Map<string, ContractIn>;
  invoices: Map<string, InvoiceIn>;
  settlements: SettlementIn[];
}
