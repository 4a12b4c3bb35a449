/**
 * Simulates an escalation policy from the command line, with the same code as
 * POST /api/v1/policies/:id/simulate:  npm run simulate -- <policy-id> <request.json>
 * DATABASE_URL names the database holding the policies, the calendar and any invoiceNos.
 */
import fs from 'node:fs';
import { SimulationRequestSchema } from '../api/schemas/simulation';
import { runSimulation } from '../api/simulation';
import { connect } from '../db/connect';
import type { SendTime } from '../domain/collection';
import { productionConfig } from './production';

async function main(): Promise<void> {
  const [policyId, file] = process.argv.slice(2);
  if (!policyId || !file) {
    console.error('usage: npm run simulate -- <policy-id> <request.json>');
    process.exit(2);
  }
  const config = productionConfig(['DATABASE_URL']);
  const parsed = SimulationRequestSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) console.error(`${issue.path.join('.') || 'request'}: ${issue.message}`);
    process.exit(1);
  }
  const db = connect(config.DATABASE_URL, 2);
  try {
    const result = await runSimulation(db, policyId, parsed.data, config.LETTER_SEND_TIME as SendTime);
    const { summary } = result;
    console.log(
      `policy ${result.policy.id} v${result.policy.version}: ${summary.invoices} invoices, ${summary.letters} letters, ${summary.tasks} tasks, ${summary.lettersBeforeFirstPayment} letters before the first payment`,
    );
    console.table(Object.fromEntries(Object.entries(summary.perStep).map(([step, counts]) => [step, counts])));
    if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
  } finally {
    await db.destroy();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
