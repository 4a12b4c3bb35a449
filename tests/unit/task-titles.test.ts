import { describe, expect, it } from 'vitest';
import { taskTitle, wordTask } from '../../console/task-titles';
import { DISPUTE_REASONS } from '../../domain/disputes';
import { STAGE_WAITS } from '../../domain/stage-policy';
import { DEFAULT_POLICY, createsTask } from '../../domain/policy';
import { type TaskWording, defaultStepTaskWording } from '../../domain/task-wording';

/** One wording of every kind: what the activities and the customer's page open tasks with. */
const EVERY_KIND: TaskWording[] = [
  { key: 'dispute', invoiceNo: 'INV-1', reason: 'quality' },
  { key: 'disputeEscalated', invoiceNo: 'INV-1', reason: 'invoice_error' },
  { key: 'writeOffApproval', invoiceNo: 'INV-1', requestedBy: 'Wang Fang', reason: 'customer bankrupt' },
  { key: 'stepApproval', invoiceNo: 'INV-1', step: 'legal_notice_90' },
  { key: 'stepApproval', invoiceNo: 'INV-1', step: 'own_step' },
  { key: 'stageDeadline', contractNo: 'HT-1', wait: 'delivery' },
  { key: 'stageDeadline', contractNo: 'HT-1', wait: 'invoicing', milestoneSeq: 2 },
  {
    key: 'contactMissing',
    invoiceNo: 'INV-1',
    step: 'pre_due',
    roles: ['payment_owner', 'finance'],
    customerName: '华东物流',
    customerCode: 'C-1',
  },
  {
    key: 'portalPromise',
    invoiceNo: 'INV-1',
    contact: '李明',
    amountMinor: 12_345_600,
    currency: 'CNY',
    promisedDate: '2026-12-15',
  },
  { key: 'portalDispute', invoiceNo: 'INV-1', contact: '李明', reason: 'price' },
];

describe("task titles in the reader's language", () => {
  it('words every kind of task in Chinese, with the codes it names in Chinese too', () => {
    const titles = EVERY_KIND.map((wording) => wordTask(wording, 'zh-CN'));
    expect(titles).toEqual([
      '处理客户对发票 INV-1 的争议（质量问题）',
      '发票 INV-1 的争议（发票有误）已超过处理期限：请介入',
      '批准或驳回发票 INV-1 的核销（Wang Fang 申请：customer bankrupt）',
      '批准或驳回发票 INV-1 的催收步骤“90 天律师函”',
      '批准或驳回发票 INV-1 的催收步骤“own_step”',
      '合同 HT-1 已超过计划交付日期：请推进或说明原因',
      '合同 HT-1 有里程碑可开票但尚未开票（里程碑 2）：请推进或说明原因',
      '为客户 华东物流（C-1）补充付款负责人 / 财务联系人：发票 INV-1 的“到期前提醒”在等待',
      '李明 在客户页面承诺于 2026年12月15日 支付发票 INV-1 的 ¥123,456.00',
      '李明 在客户页面对发票 INV-1 提出争议（价格异议）',
    ]);
  });

  it('words them in English as the titles API clients read', () => {
    expect(EVERY_KIND.map((wording) => wordTask(wording, 'en'))).toEqual([
      "Resolve the customer's dispute (Quality) on invoice INV-1",
      'Dispute (Invoice error) on invoice INV-1 is past its deadline: step in',
      'Approve or reject writing off invoice INV-1 (requested by Wang Fang: customer bankrupt)',
      'Approve or reject the step "90-day legal notice" for invoice INV-1',
      'Approve or reject the step "own_step" for invoice INV-1',
      'Contract HT-1 is past its planned delivery: move it on or say why',
      'Contract HT-1 has a milestone ready but not invoiced (milestone 2): move it on or say why',
      'Add a Payment owner / Finance contact for customer 华东物流 (C-1): the "Reminder before due" of invoice INV-1 waits for it',
      "李明 promised on the customer's page to pay CN¥123,456.00 on December 15, 2026 for invoice INV-1",
      "李明 disputed invoice INV-1 on the customer's page (Price)",
    ]);
  });

  it('has words for every dispute reason and stage wait, and leaves no placeholder unfilled', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      for (const reason of DISPUTE_REASONS)
        expect(wordTask({ key: 'dispute', invoiceNo: 'I', reason }, locale)).not.toContain(reason);
      for (const wait of STAGE_WAITS) {
        const title = wordTask({ key: 'stageDeadline', contractNo: 'C', wait }, locale);
        expect(title).not.toMatch(/task\.|\{/);
      }
      for (const wording of EVERY_KIND) expect(wordTask(wording, locale)).not.toMatch(/\{\w+\}|task\./);
    }
  });

  it("keeps a task's own title when it has no wording (a step task, or one opened before wordings)", () => {
    expect(taskTitle({ title: '催客户签回验收单', wording: null }, 'en')).toBe('催客户签回验收单');
    expect(taskTitle({ title: 'x', wording: EVERY_KIND[0] }, 'zh-CN')).toBe('处理客户对发票 INV-1 的争议（质量问题）');
    const fromNewerVersion = { key: 'somethingNew', invoiceNo: 'INV-1' } as unknown as TaskWording;
    expect(taskTitle({ title: 'Something new', wording: fromNewerVersion }, 'zh-CN')).toBe('Something new');
  });

  it("words the default policy's step tasks in both languages, the English being the policy's own text", () => {
    const taskSteps = DEFAULT_POLICY.steps.filter(createsTask);
    expect(taskSteps.length).toBe(6);
    for (const step of taskSteps) {
      const wording = defaultStepTaskWording(step)!;
      expect(wording).toEqual({ key: 'defaultStepTask', step: step.key });
      expect(wordTask(wording, 'en')).toBe(step.task);
      expect(wordTask(wording, 'zh-CN')).toMatch(/^[\u4e00-\u9fff]/);
    }
    expect(wordTask(defaultStepTaskWording(taskSteps[0])!, 'zh-CN')).toBe('致电客户跟进逾期款项');
  });

  it("leaves a step task the policy author worded differently in the author's words", () => {
    const [callWeekly] = DEFAULT_POLICY.steps.filter(createsTask);
    expect(defaultStepTaskWording({ ...callWeekly, task: '每周给客户打电话' })).toBeUndefined();
    expect(defaultStepTaskWording({ ...callWeekly, key: 'own_call' })).toBeUndefined();
  });
});
