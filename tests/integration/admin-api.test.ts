/**
 * The admin API — escalation policies as versioned data, policy selections, the business calendar and
 * the collection tasks — against a real PostgreSQL, the real Temporal dev server and the local SMTP server.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { letterTemplateNames } from '../../api/routes/policies';
import * as defaultStepTaskWording from '../../db/migrations/0028_default_step_task_wording';
import { DEFAULT_POLICY } from '../../domain/policy';
import { eventually } from '../support/api-harness';
import {
  apiSuiteWithPeople,
  act,
  createCustomer,
  daysAgo,
  driveToDelivery,
  registerContract,
  todayInShanghai,
  uniqueCode,
} from '../support/scenario';

const DAY_MS = 86_400_000;

interface TaskJson {
  id: number;
  step: string;
  dueAt: string;
}

const suite = apiSuiteWithPeople();

/** A small valid ladder: the due-date letter and a weekly call from day 3. */
function gentlePolicy(id: string, name = 'Gentle ladder') {
  return {
    id,
    name,
    paidToleranceMinor: 100,
    promiseGraceDays: 5,
    disputeSlaDays: 14,
    taskDueDays: 2,
    steps: [
      {
        key: 'due',
        offsetDays: 0,
        channel: 'letter',
        owner: 'sales',
        recipients: ['payment_owner'],
        template: 'due',
        tone: 'empathetic',
      },
      { key: 'call', offsetDays: 3, channel: 'task', owner: 'sales', task: 'Call the payer', repeatEveryDays: 7 },
    ],
  };
}

/** What the API stores for gentlePolicy: the version, and recipients and cc filled in where they were left out. */
function storedGentle(id: string, version: number, name = 'Gentle ladder') {
  return {
    id,
    version,
    name,
    paidToleranceMinor: 100,
    promiseGraceDays: 5,
    disputeSlaDays: 14,
    taskDueDays: 2,
    steps: [
      {
        key: 'due',
        offsetDays: 0,
        channel: 'letter',
        owner: 'sales',
        recipients: ['payment_owner'],
        cc: { contacts: [], internal: [] },
        template: 'due',
        tone: 'empathetic',
      },
      {
        key: 'call',
        offsetDays: 3,
        channel: 'task',
        owner: 'sales',
        recipients: [],
        cc: { contacts: [], internal: [] },
        task: 'Call the payer',
        repeatEveryDays: 7,
      },
    ],
  };
}

async function storedVersions(id: string) {
  return suite.harness.database.db
    .selectFrom('policies')
    .select(['version', 'name', 'created_by'])
    .where('id', '=', id)
    .orderBy('version')
    .execute();
}

/** A contract in Delivery whose first milestone (40% of 100,000.00, 30 days' term) is ready to invoice. */
async function contractReadyToInvoice(customerOverrides: Record<string, unknown>, signedDaysAgo: number) {
  const customer = await createCustomer(suite.people.sales, customerOverrides);
  const no = await registerContract(suite.people.sales, customer);
  await driveToDelivery(suite.people, no, daysAgo(signedDaysAgo));
  return { customer, no };
}

describe('escalation policies', () => {
  it('saves a valid policy as a new version each time and reads the latest or a given version', async () => {
    const first = await suite.people.finance.post('/api/v1/policies', gentlePolicy('gentle'));
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toEqual(storedGentle('gentle', 1));

    const second = await suite.harness.admin.post('/api/v1/policies', gentlePolicy('gentle', 'Gentle ladder, revised'));
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    expect(second.body).toEqual(storedGentle('gentle', 2, 'Gentle ladder, revised'));

    expect(await storedVersions('gentle')).toEqual([
      { version: 1, name: 'Gentle ladder', created_by: 'fiona' },
      { version: 2, name: 'Gentle ladder, revised', created_by: 'admin' },
    ]);
    const latest = await suite.people.sales.get('/api/v1/policies/gentle');
    expect(latest.status).toBe(200);
    expect(latest.body).toEqual(storedGentle('gentle', 2, 'Gentle ladder, revised'));
    expect((await suite.people.delivery.get('/api/v1/policies/gentle/versions/1')).body).toEqual(
      storedGentle('gentle', 1),
    );
    expect((await suite.people.sales.get('/api/v1/policies/gentle/versions/3')).status).toBe(404);
    expect((await suite.people.sales.get('/api/v1/policies/gentle/versions/zero')).status).toBe(404);
    expect((await suite.people.sales.get('/api/v1/policies/no-such-policy')).status).toBe(404);
  });

  it('counts the built-in default as version 1, so saving it gives versions 2 then 3', async () => {
    const builtIn = await suite.people.sales.get('/api/v1/policies/default');
    expect(builtIn.body.version).toBe(1);
    expect(builtIn.body.steps).toHaveLength(9);
    const before = (await suite.people.sales.get('/api/v1/policies')).body;
    expect(before.find((p: { id: string }) => p.id === 'default')).toEqual({
      id: 'default',
      version: 1,
      name: 'Default collection ladder',
      stepCount: 9,
      builtIn: true,
      createdBy: null,
      createdAt: null,
    });

    // The built-in ladder saved as it is, so every other test keeps collecting along it.
    const { version: _version, ...definition } = DEFAULT_POLICY;
    const v2 = await suite.people.finance.post('/api/v1/policies', definition);
    expect(v2.status, JSON.stringify(v2.body)).toBe(201);
    expect(v2.body).toEqual({ ...DEFAULT_POLICY, version: 2 });
    const v3 = await suite.people.finance.post('/api/v1/policies', {
      ...definition,
      name: 'Default collection ladder (reviewed)',
    });
    expect(v3.body.version).toBe(3);
    expect((await suite.people.sales.get('/api/v1/policies/default/versions/1')).body).toEqual(DEFAULT_POLICY);
    expect((await suite.people.sales.get('/api/v1/policies/default')).body.name).toBe(
      'Default collection ladder (reviewed)',
    );

    const after = (await suite.people.sales.get('/api/v1/policies')).body;
    expect(after.filter((p: { id: string }) => p.id === 'default')).toEqual([
      expect.objectContaining({
        id: 'default',
        version: 3,
        name: 'Default collection ladder (reviewed)',
        stepCount: 9,
        builtIn: false,
        createdBy: 'fiona',
      }),
    ]);
    expect(after.find((p: { id: string }) => p.id === 'gentle')).toEqual(
      expect.objectContaining({ version: 2, stepCount: 2, builtIn: false }),
    );
  });

  it('refuses an invalid policy listing every problem with its field, and stores nothing', async () => {
    const policy = {
      id: 'broken',
      name: 'Broken ladder',
      paidToleranceMinor: 0,
      promiseGraceDays: 3,
      disputeSlaDays: 10,
      taskDueDays: -1,
      steps: [
        {
          key: 'due',
          offsetDays: 0,
          channel: 'letter',
          owner: 'sales',
          recipients: ['payment_owner'],
          template: 'no_such_letter',
          tone: 'empathetic',
        },
        {
          key: 'late',
          offsetDays: 1,
          channel: 'letter',
          owner: 'sales',
          recipients: [],
          template: 'overdue_1',
          tone: 'win_win',
        },
        { key: 'due', offsetDays: 5, channel: 'task', owner: 'sales', task: 'Call the payer' },
      ],
    };
    const refused = await suite.people.finance.post('/api/v1/policies', policy);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toBe('invalid policy');
    expect(refused.body.details).toEqual([
      {
        code: 'invalid_step',
        field: 'steps.0.template',
        message: 'must be one of due, executive_60, formal_reminder, legal_notice_90, overdue_1, pre_due, statement_30',
      },
      {
        code: 'invalid_step',
        field: 'steps.1.recipients',
        message: 'a letter needs at least one customer contact role',
      },
      { code: 'duplicate_step', field: 'steps.2.key', message: 'step key due is used twice' },
      { code: 'invalid_policy', field: 'taskDueDays', message: 'must be a whole number, zero or more' },
    ]);
    expect((await suite.people.finance.get('/api/v1/policies/broken')).status).toBe(404);
    expect(await storedVersions('broken')).toEqual([]);

    const badShape = await suite.people.finance.post('/api/v1/policies', {
      ...gentlePolicy('broken'),
      version: 7,
      steps: [{ ...gentlePolicy('broken').steps[0], channel: 'fax' }],
    });
    expect(badShape.status).toBe(400);
    expect(badShape.body.details).toHaveLength(2);
    expect(badShape.body.details).toContainEqual(expect.objectContaining({ field: 'steps.0.channel' }));
    expect(badShape.body.details).toContainEqual(
      expect.objectContaining({ code: 'unrecognized_keys', message: expect.stringContaining('version') }),
    );
    expect(await storedVersions('broken')).toEqual([]);
  });

  it('lists as templates only the letters complete in zh-CN and en', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'letters-'));
    try {
      const write = async (locale: string, files: string[]) => {
        await fs.mkdir(path.join(root, locale), { recursive: true });
        for (const file of files) await fs.writeFile(path.join(root, locale, file), 'x');
      };
      await write('zh-CN', [
        'a.subject.hbs',
        'a.text.hbs',
        'a.html.hbs',
        'b.subject.hbs',
        'b.text.hbs',
        'c.subject.hbs',
        'c.text.hbs',
        'c.html.hbs',
        'd.subject.hbs',
        'd.text.hbs',
        'd.html.hbs',
      ]);
      await write('en', [
        'a.subject.hbs',
        'a.text.hbs',
        'a.html.hbs',
        'b.subject.hbs',
        'b.text.hbs',
        'b.html.hbs',
        'c.text.hbs',
        'c.html.hbs',
        'd.html.hbs',
        'd.subject.hbs',
        'd.text.hbs',
      ]);
      expect(await letterTemplateNames(root)).toEqual(['a', 'd']);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });

  it('gives concurrent saves of one policy different versions, refusing the losers with 409', async () => {
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        suite.people.finance.post('/api/v1/policies', gentlePolicy('race', `Race ${i}`)),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(
      statuses.every((s) => s === 201 || s === 409),
      JSON.stringify(statuses),
    ).toBe(true);
    const saved = responses
      .filter((r) => r.status === 201)
      .map((r) => r.body.version as number)
      .sort((a, b) => a - b);
    expect(saved.length).toBeGreaterThan(0);
    expect(saved).toEqual(Array.from({ length: saved.length }, (_, i) => i + 1));
    expect((await storedVersions('race')).map((r) => r.version)).toEqual(saved);
    for (const lost of responses.filter((r) => r.status === 409)) expect(lost.body.details[0].field).toBe('id');
  });

  it('lets only admin and finance save policies and choose them', async () => {
    const bySales = await suite.people.sales.post('/api/v1/policies', gentlePolicy('by-sales'));
    expect(bySales.status).toBe(403);
    expect(bySales.body.error).toContain('admin or finance');
    expect((await suite.people.executive.post('/api/v1/policies', gentlePolicy('by-exec'))).status).toBe(403);
    expect(await storedVersions('by-sales')).toEqual([]);
    expect(
      (await suite.people.delivery.put('/api/v1/policy-selections', { scope: 'grade', key: 'C', policyId: 'default' }))
        .status,
    ).toBe(403);
  });
});

describe('policy selections', () => {
  it('refuses an unknown policy, grade or contract, naming each field', async () => {
    const unknownPolicy = await suite.people.finance.put('/api/v1/policy-selections', {
      scope: 'grade',
      key: 'C',
      policyId: 'no-such-policy',
    });
    expect(unknownPolicy.status).toBe(400);
    expect(unknownPolicy.body.details).toEqual([
      { code: 'unknown_policy', field: 'policyId', message: 'no policy no-such-policy' },
    ]);

    const both = await suite.people.finance.put('/api/v1/policy-selections', {
      scope: 'grade',
      key: 'E',
      policyId: 'nope',
    });
    expect(both.status).toBe(400);
    expect(both.body.details.map((d: { field: string }) => d.field)).toEqual(['key', 'policyId']);

    const contract = await suite.people.finance.put('/api/v1/policy-selections', {
      scope: 'contract',
      key: 'HT-NOPE',
      policyId: 'default',
    });
    expect(contract.status).toBe(400);
    expect(contract.body.details).toEqual([{ code: 'unknown_contract', field: 'key', message: 'no contract HT-NOPE' }]);

    const badScope = await suite.people.finance.put('/api/v1/policy-selections', {
      scope: 'customer',
      key: 'A',
      policyId: 'default',
    });
    expect(badScope.status).toBe(400);
    expect(badScope.body.details[0].field).toBe('scope');
    expect(await suite.harness.database.db.selectFrom('policy_selections').selectAll().execute()).toEqual([]);
  });

  it('gives a new invoice the latest version of the policy chosen for its grade, and a contract choice wins over the grade', async () => {
    expect((await suite.people.finance.post('/api/v1/policies', gentlePolicy('grade-b'))).body.version).toBe(1);
    expect(
      (await suite.people.finance.post('/api/v1/policies', gentlePolicy('grade-b', 'Grade B ladder'))).body.version,
    ).toBe(2);
    const chosen = await suite.people.finance.put('/api/v1/policy-selections', {
      scope: 'grade',
      key: 'B',
      policyId: 'grade-b',
    });
    expect(chosen.status, JSON.stringify(chosen.body)).toBe(200);
    expect(chosen.body).toEqual({ scope: 'grade', key: 'B', policyId: 'grade-b' });
    expect((await suite.people.sales.get('/api/v1/policy-selections')).body).toEqual([
      { scope: 'grade', key: 'B', policyId: 'grade-b' },
    ]);
    const audit = await suite.harness.database.db
      .selectFrom('timeline')
      .selectAll()
      .where('action', '=', 'policy_selected')
      .execute();
    expect(audit).toEqual([
      expect.objectContaining({
        actor_name: 'fiona',
        actor_role: 'finance',
        contract_no: null,
        customer_code: null,
        details: { scope: 'grade', key: 'B', policyId: 'grade-b', previousPolicyId: null },
      }),
    ]);
    expect(audit[0].event_key).toMatch(/^policy-selection\/grade\/B\/[0-9a-f-]{36}$/);

    const graded = await contractReadyToInvoice({ grade: 'B' }, 5);
    const plain = await contractReadyToInvoice({ grade: 'A' }, 5);
    for (const { no } of [graded, plain]) {
      const issued = await suite.people.finance.post('/api/v1/invoices', {
        contractNo: no,
        milestoneSeq: 1,
        invoiceNo: `${no}-A`,
        issueDate: todayInShanghai(),
      });
      expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    }
    const policyOf = (invoiceNo: string) =>
      suite.harness.database.db
        .selectFrom('invoices')
        .select(['policy_id', 'policy_version'])
        .where('no', '=', invoiceNo)
        .executeTakeFirstOrThrow();
    expect(await policyOf(`${graded.no}-A`)).toEqual({ policy_id: 'grade-b', policy_version: 2 });
    const defaultVersion = (await suite.people.sales.get('/api/v1/policies/default')).body.version;
    expect(await policyOf(`${plain.no}-A`)).toEqual({ policy_id: 'default', policy_version: defaultVersion });

    // A later version does not change the invoice already issued; a contract selection wins over the grade.
    expect(
      (await suite.people.finance.post('/api/v1/policies', gentlePolicy('grade-b', 'Grade B ladder v3'))).body.version,
    ).toBe(3);
    expect((await suite.people.finance.post('/api/v1/policies', gentlePolicy('one-contract'))).body.version).toBe(1);
    const forContract = await suite.harness.admin.put('/api/v1/policy-selections', {
      scope: 'contract',
      key: graded.no,
      policyId: 'one-contract',
    });
    expect(forContract.status, JSON.stringify(forContract.body)).toBe(200);
    const contractAudit = await suite.harness.database.db
      .selectFrom('timeline')
      .select(['contract_no', 'customer_code', 'details'])
      .where('action', '=', 'policy_selected')
      .where('contract_no', '=', graded.no)
      .execute();
    expect(contractAudit).toEqual([
      {
        contract_no: graded.no,
        customer_code: graded.customer,
        details: { scope: 'contract', key: graded.no, policyId: 'one-contract', previousPolicyId: null },
      },
    ]);
    await act(suite.people.delivery, graded.no, 'deliver', { deliveredOn: daysAgo(2) });
    await act(suite.people.delivery, graded.no, 'accept', {
      acceptedOn: daysAgo(1),
      acceptor: 'Li Wei',
      documentRef: 'UAT-1',
    });
    const final = await suite.people.finance.post('/api/v1/invoices', {
      contractNo: graded.no,
      milestoneSeq: 2,
      invoiceNo: `${graded.no}-F`,
      issueDate: todayInShanghai(),
    });
    expect(final.status, JSON.stringify(final.body)).toBe(201);
    expect(await policyOf(`${graded.no}-F`)).toEqual({ policy_id: 'one-contract', policy_version: 1 });
    expect(await policyOf(`${graded.no}-A`)).toEqual({ policy_id: 'grade-b', policy_version: 2 });

    const reselected = await suite.people.finance.put('/api/v1/policy-selections', {
      scope: 'grade',
      key: 'B',
      policyId: 'default',
    });
    expect(reselected.status).toBe(200);
    expect((await suite.people.sales.get('/api/v1/policy-selections')).body).toEqual([
      { scope: 'contract', key: graded.no, policyId: 'one-contract' },
      { scope: 'grade', key: 'B', policyId: 'default' },
    ]);
  });
});

describe('business calendar', () => {
  const valid = {
    id: 'cn-mainland',
    name: ' Test calendar ',
    weekendDays: [6, 0],
    holidays: [
      { date: '2026-10-02', name: 'Second' },
      { date: '2026-10-01', name: 'First' },
    ],
    makeUpWorkdays: [{ date: '2026-10-10', name: 'Make-up' }],
  };

  it('serves the built-in mainland China calendar until one is saved, and 404 for other ids', async () => {
    const builtIn = await suite.people.delivery.get('/api/v1/calendars/cn-mainland');
    expect(builtIn.status).toBe(200);
    expect(builtIn.body.name).toBe('中国大陆 Mainland China');
    expect(builtIn.body.weekendDays).toEqual([0, 6]);
    // 2026: 3 + 9 + 3 + 5 + 3 + 3 + 7 days off; 2027: 3 + 8 + 3 + 5 + 1 + 1 + 7
    expect(builtIn.body.holidays).toHaveLength(33 + 28);
    expect(builtIn.body.holidays).toContainEqual({ date: '2026-10-01', name: '国庆节 National Day' });
    expect(builtIn.body.makeUpWorkdays).toHaveLength(6 + 5);
    expect((await suite.people.delivery.get('/api/v1/calendars/hk')).status).toBe(404);
  });

  it('refuses a bad calendar with every problem, an id other than the path, and anyone but an admin', async () => {
    const bad = await suite.harness.admin.put('/api/v1/calendars/cn-mainland', {
      id: 'cn-mainland',
      name: 'Bad',
      weekendDays: [0, 6],
      holidays: [
        { date: '2026-02-30', name: 'No such day' },
        { date: '2026-10-08', name: 'Extra day off' },
      ],
      makeUpWorkdays: [{ date: '2026-10-08', name: 'Also a working day' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([
      { code: 'invalid_date', field: 'holidays.0.date', message: 'not a calendar date (YYYY-MM-DD): "2026-02-30"' },
      {
        code: 'holiday_and_workday',
        field: 'makeUpWorkdays.0.date',
        message: '2026-10-08 cannot be both a holiday and a make-up workday (see holidays.1)',
      },
    ]);

    const otherId = await suite.harness.admin.put('/api/v1/calendars/cn-mainland', {
      ...valid,
      id: 'hk',
      weekendDays: [0, 9],
    });
    expect(otherId.status).toBe(400);
    expect(otherId.body.details.map((d: { field: string }) => d.field)).toEqual(['id', 'weekendDays.1']);

    const byFinance = await suite.people.finance.put('/api/v1/calendars/cn-mainland', valid);
    expect(byFinance.status).toBe(403);
    expect(await suite.harness.database.db.selectFrom('calendars').selectAll().execute()).toEqual([]);
    expect((await suite.people.sales.get('/api/v1/calendars/cn-mainland')).body.name).toBe('中国大陆 Mainland China');
  });

  it('stores a valid calendar, trimmed and sorted, and serves it from then on', async () => {
    const expected = {
      id: 'cn-mainland',
      name: 'Test calendar',
      weekendDays: [0, 6],
      holidays: [
        { date: '2026-10-01', name: 'First' },
        { date: '2026-10-02', name: 'Second' },
      ],
      makeUpWorkdays: [{ date: '2026-10-10', name: 'Make-up' }],
    };
    const saved = await suite.harness.admin.put('/api/v1/calendars/cn-mainland', valid);
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toEqual(expected);
    expect((await suite.people.sales.get('/api/v1/calendars/cn-mainland')).body).toEqual(expected);
    const row = await suite.harness.database.db.selectFrom('calendars').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ id: 'cn-mainland', updated_by: 'admin', definition: expected });

    const other = await suite.harness.admin.put('/api/v1/calendars/hk', {
      ...valid,
      id: 'hk',
      name: 'Hong Kong',
      holidays: [],
    });
    expect(other.status).toBe(200);
    expect((await suite.people.sales.get('/api/v1/calendars/hk')).body).toEqual({
      ...expected,
      id: 'hk',
      name: 'Hong Kong',
      holidays: [],
    });
    expect((await suite.people.sales.get('/api/v1/calendars/cn-mainland')).body).toEqual(expected);
  });
});

describe('tasks', () => {
  it('lists the tasks of an overdue invoice with filters and lets their owners close them once', async () => {
    // Issued 50 days ago on 30 days' term: 20 days overdue. The default ladder's tasks that apply today are the
    // weekly call (days 1, 8, 15: occurrence 3) and the formal reminder (days 10, 20: occurrence 2), owned by sales.
    const { no } = await contractReadyToInvoice({ grade: 'A' }, 60);
    const invoiceNo = `${no}-A`;
    const before = Date.now();
    const issued = await suite.people.finance.post('/api/v1/invoices', {
      contractNo: no,
      milestoneSeq: 1,
      invoiceNo,
      issueDate: daysAgo(50),
    });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    expect(issued.body.dueDate).toBe(daysAgo(20));

    const byStep = (tasks: TaskJson[]) => [...tasks].sort((a, b) => a.step.localeCompare(b.step));
    const tasks = byStep(
      await eventually<TaskJson[]>(
        async () => {
          const listed = (await suite.people.sales.get(`/api/v1/tasks?invoice=${invoiceNo}`)).body;
          return listed.length >= 2 ? listed : undefined;
        },
        60_000,
        'the open tasks',
      ),
    );
    const after = Date.now();
    const common = {
      kind: 'collection',
      invoiceNo,
      contractNo: no,
      ownerRole: 'sales',
      ownerName: 'Sally Sales',
      status: 'open',
      escalatedTo: null,
      closedBy: null,
      closedAt: null,
      note: null,
    };
    expect(tasks).toEqual([
      {
        ...common,
        id: expect.any(Number),
        step: 'call_weekly',
        occurrence: 3,
        title: 'Call the customer about the overdue payment',
        // The default policy's own step texts are worded in the reader's language.
        wording: { key: 'defaultStepTask', step: 'call_weekly' },
        dueAt: expect.any(String),
      },
      {
        ...common,
        id: expect.any(Number),
        step: 'formal_reminder',
        occurrence: 2,
        title: 'Send and follow up the formal written reminder',
        wording: { key: 'defaultStepTask', step: 'formal_reminder' },
        dueAt: expect.any(String),
      },
    ]);
    for (const task of tasks) {
      // taskDueDays of the default policy: 3 days from the decision
      expect(Date.parse(task.dueAt)).toBeGreaterThanOrEqual(before + 3 * DAY_MS - 1000);
      expect(Date.parse(task.dueAt)).toBeLessThanOrEqual(after + 3 * DAY_MS);
    }
    const [call, reminder] = tasks;

    // Migration 0028 gives the tasks opened before it with the default policy's texts the same wording, and
    // leaves a task whose title someone changed alone.
    const db = suite.harness.database.db;
    await db.updateTable('tasks').set({ title: 'Call them today' }).where('id', '=', reminder.id).execute();
    await defaultStepTaskWording.down(db);
    await defaultStepTaskWording.up(db);
    const worded = await db
      .selectFrom('tasks')
      .select(['id', 'wording'])
      .where('id', 'in', [call.id, reminder.id])
      .orderBy('id')
      .execute();
    expect(worded).toEqual(
      [
        { id: call.id, wording: { key: 'defaultStepTask', step: 'call_weekly' } },
        { id: reminder.id, wording: null },
      ].sort((a, b) => a.id - b.id),
    );

    const ids = async (query: string) =>
      (await suite.people.sales.get(`/api/v1/tasks?${query}`)).body.map((t: { id: number }) => t.id).sort();
    expect(await ids(`invoice=${invoiceNo}&ownerRole=sales`)).toEqual([call.id, reminder.id].sort());
    expect(await ids(`invoice=${invoiceNo}&ownerRole=finance`)).toEqual([]);
    // "mine" (My work): the tasks of the caller's role, named to them, or escalated to their role.
    const mine = async (client: typeof suite.people.sales) =>
      (await client.get(`/api/v1/tasks?invoice=${invoiceNo}&mine=true`)).body.map((t: { id: number }) => t.id).sort();
    expect(await mine(suite.people.finance)).toEqual([]);
    expect(await mine(suite.people.sales)).toEqual([call.id, reminder.id].sort());
    expect((await suite.people.sales.get('/api/v1/tasks?mine=maybe')).status).toBe(400);
    expect(await ids(`contract=${no}&ownerName=${encodeURIComponent('Sally Sales')}`)).toEqual(
      [call.id, reminder.id].sort(),
    );
    expect(await ids(`contract=${no}&ownerName=Nobody`)).toEqual([]);
    expect(await ids(`invoice=${invoiceNo}&status=done`)).toEqual([]);
    expect(await ids(`invoice=${invoiceNo}&overdue=true`)).toEqual([]);
    await suite.harness.database.db
      .updateTable('tasks')
      .set({ due_at: new Date(Date.now() - DAY_MS) })
      .where('id', '=', reminder.id)
      .execute();
    expect(await ids(`invoice=${invoiceNo}&overdue=true`)).toEqual([reminder.id]);
    const listed = (await suite.people.sales.get(`/api/v1/tasks?invoice=${invoiceNo}`)).body;
    expect(listed.map((t: { id: number }) => t.id)).toEqual([reminder.id, call.id]);
    const badStatus = await suite.people.sales.get('/api/v1/tasks?status=closed');
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.details[0].field).toBe('status');

    const byDelivery = await suite.people.delivery.post(`/api/v1/tasks/${call.id}/done`, { note: 'not mine' });
    expect(byDelivery.status).toBe(403);
    const noNote = await suite.people.sales.post(`/api/v1/tasks/${call.id}/skip`, {});
    expect(noNote.status).toBe(400);
    expect(noNote.body.details.map((d: { field: string }) => d.field)).toEqual(['note']);
    expect(
      (await suite.people.sales.post(`/api/v1/tasks/${call.id}/skip`, { note: '   ' })).body.details[0].field,
    ).toBe('note');
    expect((await suite.people.sales.get(`/api/v1/tasks?invoice=${invoiceNo}&status=open`)).body).toHaveLength(2);

    const done = await suite.people.sales.post(`/api/v1/tasks/${call.id}/done`, {
      note: '王芳 promised to pay on Friday',
    });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toEqual({
      ...call,
      status: 'done',
      closedBy: 'sally',
      closedAt: expect.any(String),
      note: '王芳 promised to pay on Friday',
    });
    expect(Date.parse(done.body.closedAt)).toBeGreaterThanOrEqual(before);

    const twice = await suite.people.sales.post(`/api/v1/tasks/${call.id}/done`, {});
    expect(twice.status).toBe(409);
    expect(twice.body.error).toBe(`task ${call.id} is done`);
    expect((await suite.people.finance.post(`/api/v1/tasks/${call.id}/skip`, { note: 'too late' })).status).toBe(403);

    expect(await ids(`invoice=${invoiceNo}`)).toEqual([reminder.id]);
    expect(await ids(`invoice=${invoiceNo}&status=done`)).toEqual([call.id]);

    // A sales person's task is theirs: finance, an executive or an admin cannot close it for them (until it escalates).
    const byFinance = await suite.people.finance.post(`/api/v1/tasks/${reminder.id}/skip`, { note: 'not mine' });
    expect(byFinance.status).toBe(403);
    expect(byFinance.body.error).toBe(`closing task ${reminder.id} needs role sales`);
    expect((await suite.people.executive.post(`/api/v1/tasks/${reminder.id}/skip`, { note: 'not mine' })).status).toBe(
      403,
    );
    expect((await suite.harness.admin.post(`/api/v1/tasks/${reminder.id}/skip`, { note: 'not mine' })).status).toBe(
      403,
    );
    const skipped = await suite.people.sales.post(`/api/v1/tasks/${reminder.id}/skip`, {
      note: ' customer disputes the invoice ',
    });
    expect(skipped.status).toBe(200);
    expect(skipped.body).toMatchObject({ status: 'skipped', closedBy: 'sally', note: 'customer disputes the invoice' });

    const timeline = await suite.harness.database.db
      .selectFrom('timeline')
      .select(['event_key', 'action', 'actor_name', 'contract_no', 'invoice_no', 'reason'])
      .where('event_key', 'like', 'task/%')
      .orderBy('id')
      .execute();
    expect(timeline).toEqual([
      {
        event_key: `task/${call.id}/done`,
        action: 'task_done',
        actor_name: 'sally',
        contract_no: no,
        invoice_no: invoiceNo,
        reason: '王芳 promised to pay on Friday',
      },
      {
        event_key: `task/${reminder.id}/skipped`,
        action: 'task_skipped',
        actor_name: 'sally',
        contract_no: no,
        invoice_no: invoiceNo,
        reason: 'customer disputes the invoice',
      },
    ]);
    const contract = (await suite.people.sales.get(`/api/v1/contracts/${no}`)).body;
    expect(contract.timeline.map((t: { action: string }) => t.action)).toEqual(
      expect.arrayContaining(['task_done', 'task_skipped']),
    );
  });

  it("lets the role a task escalated to close it, sales close an assistant's task, keeps approval tasks for the approval endpoint, and 404s unknown tasks", async () => {
    const { no } = await contractReadyToInvoice({ grade: 'A' }, 10);
    const invoiceNo = `${no}-A`;
    expect(
      (
        await suite.people.finance.post('/api/v1/invoices', {
          contractNo: no,
          milestoneSeq: 1,
          invoiceNo,
          issueDate: todayInShanghai(),
        })
      ).status,
    ).toBe(201);
    const insert = (values: { task_key: string; kind: string; owner_role: string; escalated_to: string | null }) =>
      suite.harness.database.db
        .insertInto('tasks')
        .values({
          ...values,
          invoice_no: invoiceNo,
          contract_no: no,
          step: 'x',
          occurrence: 1,
          owner_name: null,
          title: 'Test task',
          status: 'open',
          due_at: new Date(),
          closed_by: null,
          closed_at: null,
          note: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
    const escalated = await insert({
      task_key: `test/${uniqueCode('esc')}`,
      kind: 'collection',
      owner_role: 'delivery',
      escalated_to: 'executive',
    });
    const assistants = await insert({
      task_key: `test/${uniqueCode('asst')}`,
      kind: 'collection',
      owner_role: 'assistant',
      escalated_to: null,
    });
    const approval = await insert({
      task_key: `test/${uniqueCode('appr')}`,
      kind: 'approval',
      owner_role: 'finance',
      escalated_to: null,
    });

    expect((await suite.people.sales.post(`/api/v1/tasks/${escalated.id}/done`, {})).status).toBe(403);
    expect((await suite.people.finance.post(`/api/v1/tasks/${escalated.id}/done`, {})).status).toBe(403);
    const byExecutive = await suite.people.executive.post(`/api/v1/tasks/${escalated.id}/done`, {});
    expect(byExecutive.status, JSON.stringify(byExecutive.body)).toBe(200);
    expect(byExecutive.body).toMatchObject({
      status: 'done',
      closedBy: 'eve',
      note: null,
      ownerRole: 'delivery',
      escalatedTo: 'executive',
    });

    expect((await suite.people.delivery.post(`/api/v1/tasks/${assistants.id}/done`, {})).status).toBe(403);
    const bySales = await suite.people.sales.post(`/api/v1/tasks/${assistants.id}/done`, {});
    expect(bySales.status, JSON.stringify(bySales.body)).toBe(200);
    expect(bySales.body).toMatchObject({ status: 'done', closedBy: 'sally', ownerRole: 'assistant' });

    const refused = await suite.people.finance.post(`/api/v1/tasks/${approval.id}/done`, { note: 'approve' });
    expect(refused.status).toBe(409);
    expect(refused.body.details[0].message).toContain(`POST /api/v1/invoices/${invoiceNo}/approvals`);
    const row = await suite.harness.database.db
      .selectFrom('tasks')
      .select('status')
      .where('id', '=', approval.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('open');

    expect((await suite.people.sales.post('/api/v1/tasks/99999999/done', {})).status).toBe(404);
    const notAnId = await suite.people.sales.post('/api/v1/tasks/abc/done', {});
    expect(notAnId.status).toBe(400);
    expect(notAnId.body.details[0].field).toBe('id');
  });
});

describe('OpenAPI', () => {
  it('documents the admin routes with their request schemas', async () => {
    const doc = (await suite.people.sales.get('/api/v1/openapi.json')).body;
    for (const path of [
      '/api/v1/policies',
      '/api/v1/policies/{id}',
      '/api/v1/policies/{id}/versions/{version}',
      '/api/v1/policy-selections',
      '/api/v1/calendars/{id}',
      '/api/v1/tasks',
      '/api/v1/tasks/{id}/done',
      '/api/v1/tasks/{id}/skip',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(doc.paths['/api/v1/policies'].post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/SavePolicyRequest',
    });
    expect(doc.paths['/api/v1/calendars/{id}'].put.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/BusinessCalendar',
    });
    expect(doc.components.schemas.SavePolicyRequest.properties.steps.items).toEqual({
      $ref: '#/components/schemas/PolicyStep',
    });
    expect(doc.components.schemas.PolicyStep.properties.channel.enum).toEqual(['letter', 'task', 'both']);
    expect(doc.paths['/api/v1/tasks'].get.parameters.map((p: { name: string }) => p.name)).toEqual([
      'status',
      'ownerRole',
      'ownerName',
      'invoice',
      'contract',
      'overdue',
      'mine',
    ]);
  });
});
