/**
 * Feasibility of the weekly review at 100,000 customers (400,000 invoices, 100,000 contracts): the
 * batch activities run back to back as the workflow runs them. Opt-in: CREDIT_SCALE=1 (about a minute or two).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reviewCreditBatch, storeCreditReview } from '../../activities/credit-review';
import { localDateOf } from '../../domain/dates';
import { reviewAllCustomers } from '../../workflows/credit-review';
import { createTestDatabase, type TestDatabase } from '../support/database';

const CUSTOMERS = Number(process.env.CREDIT_SCALE_CUSTOMERS ?? 100_000);
let database: TestDatabase;

beforeAll(async () => {
  if (!process.env.CREDIT_SCALE) return;
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

describe('weekly credit review at scale', () => {
  it.skipIf(!process.env.CREDIT_SCALE)(
    `reviews ${CUSTOMERS} customers in batches of 1000`,
    async () => {
      const db = database.db;
      const today = localDateOf(Date.now(), 'Asia/Shanghai');
      const seeded = Date.now();
      await sql`insert into customers (code, name, grade, credit_limit_minor, currency)
      select 'C' || lpad(g::text, 7, '0'), 'Customer ' || g, (array['A','B','C','D'])[1 + g % 4], 10000000 + (g % 7) * 1000000, 'CNY' from generate_series(1, ${CUSTOMERS}) g`.execute(
        db,
      );
      await sql`insert into contracts (no, customer_code, title, amount_minor, currency, payment_terms_type, stage, terms, details, created_by)
      select 'K' || g, 'C' || lpad(g::text, 7, '0'), 'Supply', 6000000, 'CNY', 'credit_terms', (array['Collection','Delivery','Closed'])[1 + g % 3], '{}', '{}', 'seed' from generate_series(1, ${CUSTOMERS}) g`.execute(
        db,
      );
      await sql`insert into invoices (no, contract_no, milestone_seq, customer_code, currency, amount_minor, tax_minor, balance_minor, issue_date, due_date, status, issued_by, paid_on, policy_id, policy_version)
      select 'I' || g || '-' || s, 'K' || g, s, 'C' || lpad(g::text, 7, '0'), 'CNY', 1000000, 0,
        case when s < 4 then 0 else 1000000 end, ${today}::date - (s * 60 + g % 50 + 30), ${today}::date - (s * 60 + g % 50),
        case when s < 4 then 'paid' else 'open' end, 'seed', case when s < 4 then ${today}::date - (s * 60 + g % 50) + (g % 40) - 5 else null end, 'default', 1
      from generate_series(1, ${CUSTOMERS}) g, generate_series(1, 4) s`.execute(db);
      await sql`analyze`.execute(db);
      console.log(`seeded ${CUSTOMERS} customers in ${Date.now() - seeded} ms`);

      const started = Date.now();
      let slowest = 0;
      const totals = await reviewAllCustomers(async (afterCode) => {
        const t = Date.now();
        const batch = await reviewCreditBatch(db, { reviewDate: today, afterCode, limit: 1000 });
        slowest = Math.max(slowest, Date.now() - t);
        return batch;
      });
      const batches = Date.now() - started;
      const s = Date.now();
      await storeCreditReview(db, { reviewDate: today, sinceMs: started - 1000, totals });
      console.log(
        `reviewed ${totals.customers} customers in ${batches} ms (slowest batch ${slowest} ms), summary in ${Date.now() - s} ms; ${JSON.stringify(totals)}`,
      );
      expect(totals.customers).toBe(CUSTOMERS);
      expect(
        await db
          .selectFrom('grade_history')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow(),
      ).toEqual({ n: CUSTOMERS });
    },
    1_800_000,
  );
});
