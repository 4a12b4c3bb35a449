import { describe, expect, it } from 'vitest';
import { renderNotification, reviewContext } from '../../activities/notifications';

const summary = {
  reviewDate: '2026-11-23',
  customersReviewed: 3,
  onHoldCount: 1,
  gradeCounts: { A: 1, C: 1, new: 1 },
  gradeChanges: {
    count: 51,
    items: Array.from({ length: 51 }, (_, i) => ({
      customerCode: `C${i}`,
      name: `Co ${i} & Sons`,
      from: i === 0 ? null : 'A',
      to: 'B',
      scoreTenths: 712,
      reason: null,
    })),
  },
  holdsSet: {
    count: 1,
    items: [
      {
        customerCode: 'LATE',
        name: 'Late Ltd',
        source: 'auto',
        reason: 'invoice INV-1 is 45 days past its due date 2026-10-09 (hold threshold 30 days), 30000.00 CNY open',
        onHoldNow: true,
      },
    ],
  },
  holdsLifted: { count: 0, items: [] },
  topOverdue: [
    {
      customerCode: 'LATE',
      name: 'Late Ltd',
      currency: 'CNY',
      overdueMinor: 3_000_000,
      oldestDueDate: '2026-10-09',
      daysOverdue: 45,
      grade: 'C',
      creditHold: true,
    },
  ],
  warnings: {
    count: 4,
    items: [
      {
        kind: 'order_surge',
        customerCode: 'S',
        customerName: 'Surge',
        figures: { recentMinor: 1, recentCount: 3, historyMinor: 1, historyCount: 4, ratioPercent: 250 },
      },
      {
        kind: 'order_collapse',
        customerCode: 'O',
        customerName: 'Collapse',
        figures: { recentMinor: 0, recentCount: 0, historyMinor: 1, historyCount: 4, ratioPercent: 0 },
      },
      { kind: 'payment_delay_trend', customerCode: 'T', customerName: 'Trend', figures: { daysLate: [1, 5, 9] } },
      {
        kind: 'term_extension_while_late',
        customerCode: 'E',
        customerName: 'Ext',
        figures: { requestedDays: 30, overdueMinor: 700_000, oldestDaysOverdue: 12, currency: 'CNY' },
      },
    ],
  },
};

describe('weekly credit review mail', () => {
  for (const locale of ['zh-CN', 'en'] as const) {
    it(`renders every section in ${locale} with no blank and the list cut at 50 with a count of the rest`, () => {
      const mail = renderNotification(
        'credit-review',
        locale,
        'review',
        reviewContext(summary as never, locale, 'Huikuan Test Co.'),
      );
      expect(mail.text).toContain(locale === 'en' ? 'and 1 more in the system.' : '另有 1 家，详见系统。');
      expect(mail.text).toContain(
        locale === 'en' ? 'C0 Co 0 & Sons: new → B (score 71.2)' : 'C0 Co 0 & Sons：新客户 → B（得分 71.2）',
      );
      expect(mail.text).toContain(
        locale === 'en'
          ? 'asked to extend terms by 30 days while CN¥7,000.00 is overdue (oldest 12 days)'
          : '在已逾期 ¥7,000.00（最久 12 天）的情况下申请延长账期 30 天',
      );
      expect(mail.text).toContain(locale === 'en' ? '(collapse)' : '（订单骤减）');
      expect(mail.html).toContain('Co 0 &amp; Sons');
      expect(mail.subject).toBe(
        locale === 'en'
          ? '[Credit review] November 23, 2026: 51 grade changes, 1 new credit holds, 0 lifted, 4 warnings'
          : '【信用周报】2026年11月23日：评级变动 51 家，新增停止发货 1 家，解除 0 家，预警 4 条',
      );
    });
  }

  it('refuses to render with a missing value rather than leave a blank', () => {
    const context = reviewContext(summary as never, 'en', 'X');
    delete (context as Record<string, unknown>).companyName;
    expect(() => renderNotification('credit-review', 'en', 'review', context)).toThrow(/companyName/);
  });
});
