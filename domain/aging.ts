/**
 * AR aging buckets: days past due on the as-of date (as-of date − due date). An invoice due on the
 * as-of date itself is current; one due the day before is 1 day past due.
 */
export interface AgingBucket {
  key: 'current' | 'days1to30' | 'days31to60' | 'days61to90' | 'over90';
  label: string;
  labelZh: string;
  /** Inclusive bounds in days past due; null means unbounded. */
  minDays: number | null;
  maxDays: number | null;
}

export const AGING_BUCKETS: readonly AgingBucket[] = [
  { key: 'current', label: 'Current', labelZh: '未到期', minDays: null, maxDays: 0 },
  { key: 'days1to30', label: '1-30 days', labelZh: '逾期1-30天', minDays: 1, maxDays: 30 },
  { key: 'days31to60', label: '31-60 days', labelZh: '逾期31-60天', minDays: 31, maxDays: 60 },
  { key: 'days61to90', label: '61-90 days', labelZh: '逾期61-90天', minDays: 61, maxDays: 90 },
  { key: 'over90', label: '90+ days', labelZh: '逾期90天以上', minDays: 91, maxDays: null },
];

/** The bucket of an invoice that is daysPastDue days past due (negative: not yet due). */
export function agingBucketOf(daysPastDue: number): AgingBucket {
  return AGING_BUCKETS.find(
    (b) => (b.minDays === null || daysPastDue >= b.minDays) && (b.maxDays === null || daysPastDue <= b.maxDays),
  )!;
}
