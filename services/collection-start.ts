import { calendarById } from '../db/calendars';
import type { Db } from '../db/connect';
import { policyVersion, selectPolicy } from '../db/policies';
import type { BusinessCalendar } from '../domain/calendar';
import type { SendTime } from '../domain/collection';
import type { MilestoneKind } from '../domain/contract-rules';
import type { EscalationPolicy } from '../domain/policy';
import type { CollectionInput } from '../workflows/collection';

/**
 * The inputs of invoices' collection workflows, read from the database in one query, each policy and
 * calendar read once. Used where collections start outside a contract workflow: invoices imported at go-live (a
 * burst of thousands), and invoices reopened by a reversal.
 */
export async function collectionInputsFor(
  db: Db,
  invoiceNos: string[],
  sendTime: SendTime,
): Promise<Map<string, CollectionInput>> {
  if (invoiceNos.length === 0) return new Map();
  const rows = await db
    .selectFrom('invoices')
    .innerJoin('customers', 'customers.code', 'invoices.customer_code')
    .leftJoin('milestones', (join) =>
      join
        .onRef('milestones.contract_no', '=', 'invoices.contract_no')
        .onRef('milestones.seq', '=', 'invoices.milestone_seq'),
    )
    .select([
      'invoices.no',
      'invoices.contract_no',
      'invoices.due_date',
      'invoices.balance_minor',
      'invoices.policy_id',
      'invoices.policy_version',
      'customers.time_zone',
      'customers.grade',
      'customers.calendar_id',
      'milestones.kind',
    ])
    .where('invoices.no', 'in', invoiceNos)
    .execute();
  const policies = new Map<string, Promise<EscalationPolicy>>();
  const policyOf = (row: (typeof rows)[number]): Promise<EscalationPolicy> => {
    const key = row.policy_id
      ? `kept/${row.policy_id}/${row.policy_version}`
      : `chosen/${row.contract_no}/${row.grade}`;
    let policy = policies.get(key);
    if (!policy) {
      policy = (async () =>
        (row.policy_id ? await policyVersion(db, row.policy_id, row.policy_version ?? undefined) : undefined) ??
        selectPolicy(db, row.contract_no, row.grade))();
      policies.set(key, policy);
    }
    return policy;
  };
  const calendars = new Map<string | null, Promise<BusinessCalendar>>();
  const calendarOf = (calendarId: string | null): Promise<BusinessCalendar> => {
    if (!calendars.has(calendarId)) calendars.set(calendarId, calendarById(db, calendarId));
    return calendars.get(calendarId)!;
  };
  const inputs = new Map<string, CollectionInput>();
  for (const row of rows) {
    inputs.set(row.no, {
      invoiceNo: row.no,
      contractNo: row.contract_no,
      dueDate: row.due_date,
      milestoneKind: (row.kind ?? 'final') as MilestoneKind,
      timeZone: row.time_zone,
      sendTime,
      balanceMinor: row.balance_minor,
      policy: await policyOf(row),
      calendar: await calendarOf(row.calendar_id),
    });
  }
  return inputs;
}

export async function collectionInputFor(db: Db, invoiceNo: string, sendTime: SendTime): Promise<CollectionInput> {
  const input = (await collectionInputsFor(db, [invoiceNo], sendTime)).get(invoiceNo);
  if (!input) throw new Error(`no invoice ${invoiceNo}`);
  return input;
}
