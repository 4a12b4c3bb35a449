import type { ColumnType, Generated, Selectable } from 'kysely';
import type { Grade, MilestoneKind, PaymentTermsType } from '../domain/contract-rules';
import type { HoldSource } from '../domain/credit-hold';
import type { Locale } from '../domain/locales';
import type { Role } from '../domain/roles';
import type { Stage } from '../domain/stages';
import type {
  DisputeStatus,
  ImportStatus,
  InterestStatus,
  InvoiceStatus,
  LetterStatus,
  MilestoneStatus,
  NotificationStatus,
  NotifyChoice,
  PaymentStatus,
  PromiseStatus,
  TaskStatus,
} from '../domain/statuses';
import type { BusinessCalendar } from '../domain/calendar';
import type { StagePolicy } from '../domain/stage-policy';
import type { TaskWording } from '../domain/task-wording';
import type { CreditReviewSummary } from '../read-models/credit-warnings';
import type { ContactRole, EscalationPolicy } from '../domain/policy';
import type { CostCategory } from '../domain/costs';
import type { StepRequest } from '../activities/types';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json<T> = ColumnType<T, string, string>;
/** date columns are read as 'YYYY-MM-DD' strings (see db/connect.ts). */
type DateColumn = string;

export interface PeopleTable {
  id: Generated<number>;
  name: string;
  role: Role;
  email: string | null;
  created_at: CreatedAt;
  /** `scrypt$N$r$p$salt$hash` (base64), never the password; null: the person cannot sign in with one. */
  password_hash: string | null;
  password_changed_at: Date | null;
  /** Consecutive failed sign-ins since the last success or lock. */
  failed_sign_ins: Generated<number>;
  locked_until: Date | null;
  /** A deactivated person can neither sign in nor use their tokens. */
  active: Generated<boolean>;
  locale: Generated<Locale>;
  /** Another person's name: whom an overdue task of theirs is escalated to. */
  manager_name: string | null;
  /** 'each': one mail per task; 'digest': one mail a day at digest_hour (their local time). */
  notify: Generated<NotifyChoice>;
  digest_hour: Generated<number>;
  /** IANA zone of the digest hour; null: the default (Asia/Shanghai). */
  time_zone: string | null;
}

/** Console sessions: only the SHA-256 of the cookie's secret is stored. */
export interface SessionsTable {
  id_hash: string;
  person_id: number;
  csrf_token: string;
  created_at: CreatedAt;
  last_seen_at: Generated<Date>;
  /** The absolute end, however active the session is. */
  expires_at: Date;
}

/** API tokens: only the SHA-256 of each secret is stored; a person may hold several. */
export interface ApiTokensTable {
  id: Generated<number>;
  person_id: number;
  label: string;
  token_hash: string;
  created_at: CreatedAt;
  created_by: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_by: string | null;
  last_used_at: Date | null;
}

export interface CustomersTable {
  code: string;
  name: string;
  grade: Grade | null;
  credit_limit_minor: number;
  currency: string;
  credit_hold: Generated<boolean>;
  credit_hold_reason: string | null;
  locale: Generated<Locale>;
  time_zone: Generated<string>;
  broken_promises: Generated<number>;
  calendar_id: string | null;
  /** Effective grade (an active override wins); computed_grade is what the formula said at the last review. */
  computed_grade: Grade | null;
  credit_score_tenths: number | null;
  grade_factors: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  grade_computed_at: Date | null;
  grade_override: Grade | null;
  grade_override_reason: string | null;
  grade_override_until: DateColumn | null;
  grade_override_by: string | null;
  limit_override_minor: number | null;
  limit_override_reason: string | null;
  limit_override_until: DateColumn | null;
  limit_override_by: string | null;
  /** 'auto' holds are lifted automatically when cleared; 'manual' ones only by hand. */
  hold_source: HoldSource | null;
  /** An executive override that keeps automatic holds off until this date. */
  hold_release_until: DateColumn | null;
  hold_release_reason: string | null;
  hold_release_by: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface CustomerContactsTable {
  id: Generated<number>;
  customer_code: string;
  role: ContactRole;
  name: string;
  email: string;
  phone: string | null;
}

export interface ContractsTable {
  no: string;
  customer_code: string;
  title: string;
  amount_minor: number;
  currency: string;
  payment_terms_type: PaymentTermsType;
  stage: Stage;
  terms: Json<Record<string, unknown>>;
  details: Json<Record<string, unknown>>;
  owners: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  close_reason: string | null;
  /** Selling department, for aging by department. */
  department: string | null;
  /** The account owner: the creator until handover names one. */
  account_owner: string | null;
  created_by: string;
  created_at: CreatedAt;
  stage_changed_at: ColumnType<Date, Date | string | undefined, Date | string>;
  /** How many levels of its current wait's deadline have fired (stage deadlines); 0 when on time. */
  escalation_level: Generated<number>;
  escalated_at: Date | null;
}

export interface MilestonesTable {
  contract_no: string;
  seq: number;
  kind: MilestoneKind;
  amount_minor: number;
  trigger: Json<Record<string, unknown>>;
  term_days: number;
  status: MilestoneStatus;
  ready_on: DateColumn | null;
}

export interface InvoicesTable {
  no: string;
  contract_no: string;
  milestone_seq: number;
  customer_code: string;
  currency: string;
  amount_minor: number;
  tax_rate_percent: string | null;
  tax_minor: number;
  balance_minor: number;
  issue_date: DateColumn;
  due_date: DateColumn;
  status: InvoiceStatus;
  paid_at: Date | null;
  issued_by: string;
  created_at: CreatedAt;
  policy_id: string | null;
  policy_version: number | null;
  written_off_at: Date | null;
  write_off_reason: string | null;
  interest_minor: number | null;
  /** 'open' while assessed late interest waits for finance; then 'collected' or 'waived'. */
  interest_status: InterestStatus | null;
  interest_note: string | null;
  /** The date the balance reached zero (the clearing payment's received date); null while open. */
  paid_on: DateColumn | null;
  /** 'contract' (issued through a contract workflow) or 'historical' (imported at go-live). */
  source: Generated<string>;
  /** Earliest and latest received date of any allocation it ever had (migration 0023, kept by a trigger on allocations). */
  first_received_on: Generated<DateColumn | null>;
  last_received_on: Generated<DateColumn | null>;
}

export interface PaymentsTable {
  id: Generated<number>;
  /** Null while nobody knows who paid (the unmatched queue). */
  customer_code: string | null;
  reference: string;
  amount_minor: number;
  currency: string;
  received_on: DateColumn;
  unallocated_minor: number;
  recorded_by: string;
  created_at: CreatedAt;
  /** 'api', 'bank_import' or 'historical'. */
  source: Generated<string>;
  /** 'matched' (customer known), 'unmatched' (waiting in finance's queue) or 'reversed'. */
  status: Generated<PaymentStatus>;
  payer_name: string | null;
  payer_account: string | null;
  remittance: string | null;
  /** Identity of an imported bank line, so the same statement imported twice adds nothing. */
  dedupe_key: string | null;
  import_id: number | null;
  reversed_at: Date | null;
  reversed_by: string | null;
  reversal_reason: string | null;
}

export interface AllocationsTable {
  id: Generated<number>;
  payment_id: number;
  invoice_no: string;
  amount_minor: number;
  created_at: CreatedAt;
  /** Which matching rule placed it: invoice_no, exact_amount, oldest_first, named, manual, historical. */
  rule: Generated<string>;
  allocated_by: string | null;
  /** The payment's received date (denormalised, migration 0023): filled from the payment when not given. */
  received_on: Generated<DateColumn>;
  reversed_at: Date | null;
  reversed_by: string | null;
  reversal_reason: string | null;
}

export interface PayerAccountsTable {
  account: string;
  customer_code: string;
  learned_by: string;
  created_at: CreatedAt;
}

export interface ImportsTable {
  id: Generated<number>;
  /** 'bank_statement' or 'historical'. */
  kind: string;
  file_name: string;
  file_sha256: string;
  status: ImportStatus;
  report: Json<Record<string, unknown>>;
  created_by: string;
  created_at: CreatedAt;
}

export interface GradeHistoryTable {
  customer_code: string;
  reviewed_on: DateColumn;
  grade: Grade | null;
  computed_grade: Grade | null;
  score_tenths: number;
  factors: Json<Record<string, unknown>>;
}

export interface CreditReviewsTable {
  review_date: DateColumn;
  summary: Json<CreditReviewSummary>;
  created_at: CreatedAt;
}

export interface NotificationsTable {
  id: Generated<number>;
  notification_key: string;
  kind: string;
  locale: Locale;
  recipients: Json<string[]>;
  subject: string;
  body_text: string;
  body_html: string;
  message_id: string;
  status: NotificationStatus;
  attempts: Generated<number>;
  last_error: string | null;
  sent_at: Date | null;
  claimed_until: Date | null;
  created_at: CreatedAt;
  /** Task mails and digests: the person told, the task, and (once listed) the digest that listed it. */
  person_name: Generated<string | null>;
  task_id: Generated<number | null>;
  digest_key: Generated<string | null>;
}

export interface TermExtensionRequestsTable {
  id: Generated<number>;
  customer_code: string;
  contract_no: string | null;
  requested_days: number;
  reason: string;
  requested_by: string;
  requested_at: Date;
  overdue_minor: number;
  oldest_days_overdue: number;
}

export interface LettersTable {
  id: Generated<number>;
  invoice_no: string;
  contract_no: string;
  step: string;
  occurrence: number;
  locale: Locale;
  recipients: Json<string[]>;
  cc: Json<string[]>;
  subject: string;
  body_text: string;
  body_html: string;
  message_id: string;
  sender_name: string;
  status: LetterStatus;
  scheduled_for: Date;
  decided_at: Date;
  sent_at: Date | null;
  attempts: Generated<number>;
  last_error: string | null;
  /** While status is 'sending': until when the attempt that claimed the row may still be talking to SMTP. */
  claimed_until: Date | null;
  created_at: CreatedAt;
  /** The customer's page link this letter carried (its addressed contact's), docs/customer-page.md. */
  portal_link_id: Generated<string | null>;
  /** The recipient roles that had no contact when the letter was due; kept after it goes out. Null: never blocked. */
  blocked_roles: ColumnType<ContactRole[] | null, string | null, string | null>;
  /** The step request a blocked letter came from, to render and send it once the contact exists. */
  step_request: ColumnType<StepRequest | null, string | null, string | null>;
}

export interface TimelineTable {
  id: Generated<number>;
  event_key: string;
  contract_no: string | null;
  customer_code: string | null;
  invoice_no: string | null;
  at: Date;
  actor_name: string;
  actor_role: string;
  action: string;
  from_stage: Stage | null;
  to_stage: Stage | null;
  reason: string | null;
  details: Json<Record<string, unknown>>;
}

/**
 * A completed stay of a contract in a stage (migration 0024): kept by triggers on the timeline, in the
 * transaction that writes the stage change that ended it. Read-only for the application.
 */
export interface StageStaysTable {
  /** The timeline entry that ended the stay. */
  timeline_id: number;
  contract_no: string;
  stage: Stage;
  entered_at: Date;
  left_at: Date;
  /** (left_at − entered_at) in days, generated. */
  days: Generated<number>;
}

/**
 * The receivables open at the end of a past month-end and the month's credit sales, per currency (migration 0026): kept by
 * services/receivable-snapshots.ts, forgotten by triggers when a fact dated on or before the day arrives.
 */
export interface ReceivableSnapshotsTable {
  time_zone: string;
  as_of: DateColumn;
  /** The instant the day ends in its time zone. */
  day_end: Date;
  currencies: string[];
  /** Per currency, in the order of `currencies`: all receivables open, and those at most 30 days past due. */
  ar_minor: ColumnType<string[], (string | number)[], (string | number)[]>;
  current_minor: ColumnType<string[], (string | number)[], (string | number)[]>;
  /** The credit sales of the month the day ends (invoices issued in it, at the amount issued), per currency. */
  sales_currencies: string[];
  sales_minor: ColumnType<string[], (string | number)[], (string | number)[]>;
  computed_at: CreatedAt;
}

/** One row: bumped by every write that forgets kept days, so a snapshot computed meanwhile is not stored. */
export interface ReceivableSnapshotStateTable {
  id: Generated<boolean>;
  generation: Generated<string>;
}

export interface MailboxTable {
  id: Generated<number>;
  message_id: string | null;
  envelope_from: string | null;
  envelope_to: Json<string[]>;
  subject: string | null;
  body_text: string | null;
  body_html: string | null;
  headers: Json<Record<string, unknown>>;
  received_at: CreatedAt;
  /** How many times the same Message-ID was delivered; the mailbox keeps one copy. */
  deliveries: Generated<number>;
}

/** One row per worker process, written every 2 s while its Temporal worker is RUNNING. */
export interface WorkerHeartbeatsTable {
  worker_id: string;
  host: string;
  pid: number;
  task_queue: string;
  state: string;
  beat_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface PoliciesTable {
  id: string;
  version: number;
  name: string;
  definition: Json<EscalationPolicy>;
  created_by: string;
  created_at: CreatedAt;
}

export interface PolicySelectionsTable {
  scope: 'grade' | 'contract';
  key: string;
  policy_id: string;
}

export interface StagePoliciesTable {
  id: string;
  version: number;
  name: string;
  definition: Json<StagePolicy>;
  created_by: string;
  created_at: CreatedAt;
}

export interface StagePolicySelectionsTable {
  scope: 'grade' | 'contract';
  key: string;
  policy_id: string;
}

export interface CalendarsTable {
  id: string;
  definition: Json<BusinessCalendar>;
  updated_by: string;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface TasksTable {
  id: Generated<number>;
  task_key: string;
  invoice_no: string | null;
  contract_no: string;
  kind: string;
  step: string | null;
  occurrence: number | null;
  owner_role: string;
  owner_name: string | null;
  title: string;
  /** What the task asks, for wording it in the reader's language (migration 0027); null before, and for step tasks. */
  wording: ColumnType<TaskWording | null, string | null, string | null>;
  status: TaskStatus;
  due_at: Date;
  escalated_to: string | null;
  closed_by: string | null;
  closed_at: Date | null;
  note: string | null;
  created_at: CreatedAt;
}

/** Secrets the processes share (the customer's page link signing key), created by migration 0021. */
export interface AppSecretsTable {
  name: string;
  value: string;
  created_at: Generated<Date>;
}

/** A customer contact's personal link to the customer's page (docs/customer-page.md). */
export interface PortalLinksTable {
  id: string;
  contact_id: number;
  customer_code: string;
  created_at: Generated<Date>;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
}

/** The one file a customer gave with a dispute on the customer's page. */
export interface DisputeAttachmentsTable {
  dispute_id: string;
  file_name: string;
  content_type: string;
  size_bytes: number;
  content: Buffer;
  uploaded_by: string;
  uploaded_at: Generated<Date>;
}

export interface DisputesTable {
  id: string;
  invoice_no: string;
  reason: string;
  note: string | null;
  routed_to: string;
  status: DisputeStatus;
  opened_by: string;
  opened_at: Date;
  sla_due_at: Date;
  escalated_at: Date | null;
  outcome: string | null;
  credit_minor: number | null;
  resolved_by: string | null;
  resolved_at: Date | null;
}

export interface PromisesTable {
  id: string;
  invoice_no: string;
  customer_code: string;
  contact: string;
  promised_date: DateColumn;
  amount_minor: number;
  status: PromiseStatus;
  recorded_by: string;
  recorded_at: Date;
  closed_at: Date | null;
}

/** An actual cost (核算) of a contract; reversed, never deleted (migration 0020). */
export interface CostEntriesTable {
  id: Generated<number>;
  contract_no: string;
  entry_date: DateColumn;
  category: CostCategory;
  amount_minor: number;
  currency: string;
  /** The voucher, supplier invoice or timesheet it comes from; unique per contract. */
  reference: string;
  note: string | null;
  recorded_by: string;
  recorded_at: CreatedAt;
  reversed_at: Date | null;
  reversed_by: string | null;
  reversal_reason: string | null;
}

/** A contract's final account (决算), frozen when the contract closed (migration 0020). */
export interface FinalAccountsTable {
  contract_no: string;
  customer_code: string;
  department: string | null;
  currency: string;
  closed_at: Date;
  contract_amount_minor: number;
  estimate_minor: number | null;
  budget_minor: number | null;
  invoiced_minor: number;
  credited_minor: number;
  collected_minor: number;
  written_off_minor: number;
  interest_collected_minor: number;
  costs_minor: number;
  cost_entries: number;
  margin_minor: number;
  created_at: CreatedAt;
}

export interface Database {
  cost_entries: CostEntriesTable;
  final_accounts: FinalAccountsTable;
  disputes: DisputesTable;
  app_secrets: AppSecretsTable;
  portal_links: PortalLinksTable;
  dispute_attachments: DisputeAttachmentsTable;
  promises: PromisesTable;
  policies: PoliciesTable;
  policy_selections: PolicySelectionsTable;
  stage_policies: StagePoliciesTable;
  stage_policy_selections: StagePolicySelectionsTable;
  calendars: CalendarsTable;
  tasks: TasksTable;
  people: PeopleTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  customers: CustomersTable;
  customer_contacts: CustomerContactsTable;
  contracts: ContractsTable;
  milestones: MilestonesTable;
  invoices: InvoicesTable;
  payments: PaymentsTable;
  allocations: AllocationsTable;
  letters: LettersTable;
  timeline: TimelineTable;
  stage_stays: StageStaysTable;
  receivable_snapshots: ReceivableSnapshotsTable;
  receivable_snapshot_state: ReceivableSnapshotStateTable;
  mailbox: MailboxTable;
  payer_accounts: PayerAccountsTable;
  imports: ImportsTable;
  grade_history: GradeHistoryTable;
  credit_reviews: CreditReviewsTable;
  notifications: NotificationsTable;
  term_extension_requests: TermExtensionRequestsTable;
  worker_heartbeats: WorkerHeartbeatsTable;
}

export type CustomerRow = Selectable<CustomersTable>;
export type CustomerContactRow = Selectable<CustomerContactsTable>;
export type ContractRow = Selectable<ContractsTable>;
export type InvoiceRow = Selectable<InvoicesTable>;
export type LetterRow = Selectable<LettersTable>;
