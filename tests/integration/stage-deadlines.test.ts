/**
 * Stage deadlines through the API on the real Temporal dev server and PostgreSQL: stage policies as
 * versioned data, chosen per contract, and a contract handed over with a planned delivery date long past.
 */
import { describe, expect, it } from 'vitest';
import { escalateStageWait } from '../../activities/stage-deadlines';
import { DEFAULT_STAGE_POLICY } from '../../domain/stage-policy';
import { eventually } from '../support/api-harness';
import { apiSuiteWithPeople, createCustomer, daysAgo, driveToDelivery, registerContract } from '../support/scenario';

const suite = apiSuiteWithPeople();

const deliveryOnly = (id: string) => ({
  id,
  name: 'Delivery only',
  deadlines: DEFAULT_STAGE_POLICY.deadlines.filter((d) => d.wait === 'delivery'),
});

describe('stage policies', () => {
  it('stores versions, refuses a bad policy naming every field, and only admin or finance may save or choose', async () => {
    const bad = await suite.people.finance.post('/api/v1/stage-policies', {
      id: 'bad',
      name: '',
      deadlines: [
        { wait: 'delivery', owner: 'fulfilment', from: 'planned_delivery', workingDays: 0, levels: [] },
        { wait: 'delivery', owner: 'fulfilment', from: 'wait_began', workingDays: 400, levels: [] },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { field: string }) => d.field)).toEqual(['deadlines.1.workingDays']);
    const invalid = await suite.people.finance.post('/api/v1/stage-policies', {
      id: 'bad',
      name: '',
      deadlines: [{ wait: 'delivery', owner: 'fulfilment', from: 'planned_delivery', workingDays: 0, levels: [] }],
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.details.map((d: { field: string }) => d.field)).toEqual([
      'name',
      'deadlines.0.fallbackWorkingDays',
      'deadlines.0.levels',
    ]);
    expect((await suite.people.sales.post('/api/v1/stage-policies', deliveryOnly('by-sales'))).status).toBe(403);

    const first = await suite.people.finance.post('/api/v1/stage-policies', deliveryOnly('fast'));
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.version).toBe(1);
    expect((await suite.people.finance.post('/api/v1/stage-policies', deliveryOnly('fast'))).body.version).toBe(2);
    expect((await suite.people.sales.get('/api/v1/stage-policies/fast?version=1')).body.version).toBe(1);
    expect((await suite.people.sales.get('/api/v1/stage-policies/fast?version=9')).status).toBe(404);
    const list = (await suite.people.sales.get('/api/v1/stage-policies')).body;
    expect(list.map((p: { id: string; version: number }) => `${p.id}@${p.version}`)).toEqual(['default@1', 'fast@2']);

    const unknown = await suite.people.finance.put('/api/v1/stage-policy-selections', {
      scope: 'contract',
      key: 'HT-NOPE',
      policyId: 'nope',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details.map((d: { code: string }) => d.code)).toEqual(['unknown_contract', 'unknown_policy']);
  });

  it('escalates a contract handed over with a planned delivery long past straight to the sponsor, once', async () => {
    const customer = await createCustomer(suite.people.sales);
    const no = await registerContract(suite.people.sales, customer);
    const chosen = await suite.people.finance.put('/api/v1/stage-policy-selections', {
      scope: 'contract',
      key: no,
      policyId: 'fast',
    });
    expect(chosen.status, JSON.stringify(chosen.body)).toBe(200);
    await driveToDelivery(suite.people, no, daysAgo(60), { plannedDeliveryDate: daysAgo(40) });
    const db = suite.harness.database.db;
    const tasks = await eventually(async () => {
      const rows = await db
        .selectFrom('tasks')
        .select(['step', 'occurrence', 'owner_role', 'owner_name'])
        .where('contract_no', '=', no)
        .where('kind', '=', 'stage_deadline')
        .execute();
      return rows.length > 0 ? rows : undefined;
    });
    // Every level is past when the wait is planned: only the latest one fires (no burst of the missed ones).
    expect(tasks).toEqual([{ step: 'delivery', occurrence: 3, owner_role: 'executive', owner_name: 'Eve Exec' }]);
    const contract = (await suite.people.sales.get(`/api/v1/contracts/${no}`)).body;
    expect(contract.details).toMatchObject({ plannedDeliveryDate: daysAgo(40) });
    const escalations = contract.timeline.filter((e: { action: string }) => e.action === 'stage_escalated');
    expect(escalations).toHaveLength(1);
    const funnel = (await suite.people.finance.get('/api/v1/reports/funnel')).body;
    expect(funnel.stages.find((s: { stage: string }) => s.stage === 'Delivery').timeStuck.escalated).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(
      await db
        .selectFrom('tasks')
        .select('id')
        .where('contract_no', '=', no)
        .where('kind', '=', 'stage_deadline')
        .execute(),
    ).toHaveLength(1);
  });

  it("tells the owner's own manager at the manager level when people name one, by a task they are mailed about", async () => {
    const { admin } = suite.harness;
    for (const person of [
      { name: 'Max Manager', role: 'delivery', email: 'max@huikuan.test' },
      { name: 'Dee Delivery', role: 'delivery', email: 'dee@huikuan.test', manager: 'Max Manager' },
    ]) {
      const created = await admin.post('/api/v1/people', person);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
    const customer = await createCustomer(suite.people.sales);
    const no = await registerContract(suite.people.sales, customer);
    await driveToDelivery(suite.people, no, daysAgo(5));
    const db = suite.harness.database.db;
    const escalation = {
      contractNo: no,
      wait: 'delivery' as const,
      waitKey: 'delivery/test',
      owner: 'fulfilment' as const,
      isStageWait: true,
      at: Date.now(),
    };
    await escalateStageWait(db, { ...escalation, level: 1, to: 'owner' });
    await escalateStageWait(db, { ...escalation, level: 2, to: 'manager' });
    await escalateStageWait(db, { ...escalation, level: 2, to: 'manager' }); // a retried activity
    const tasks = await db
      .selectFrom('tasks')
      .select(['occurrence', 'owner_role', 'owner_name'])
      .where('contract_no', '=', no)
      .where('kind', '=', 'stage_deadline')
      .where('step', '=', 'delivery')
      .orderBy('occurrence')
      .execute();
    expect(tasks).toEqual([
      { occurrence: 1, owner_role: 'delivery', owner_name: 'Dee Delivery' },
      { occurrence: 2, owner_role: 'delivery', owner_name: 'Max Manager' },
    ]);
    const told = await db
      .selectFrom('notifications')
      .select(['recipients'])
      .where('notification_key', 'like', `task/stage/${no}/delivery/%`)
      .orderBy('id')
      .execute();
    expect(told.map((n) => n.recipients)).toEqual([['dee@huikuan.test'], ['max@huikuan.test']]);
  });
});
