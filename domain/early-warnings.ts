/**
 * Early warnings (SPEC section 5), pure rules over figures the database aggregates:
 *
 * | warning | raised when |
 * |---|---|
 * | order_surge | orders of the last 90 days > 2 × the customer's average per 90 days over the 360 days before |
 * | order_collapse | orders of the last 90 days < 0.5 × that average (nothing ordered counts) |
 * | payment_delay_trend | days late of the last 3 paid invoices strictly increasing and the latest paid late, or the slope of the last 6 ≥ 3 days per invoice with the latest paid late |
 * | term_extension_while_late | a request to extend terms recorded in the last 90 days while the customer had overdue invoices |
 *
 * Orders are contracts past approval (any stage but Opportunity and Cancelled) by their registration
 * date, in the customer's currency. Order warnings need a history: at least 3 orders in the 360 days
 * before the last 90. Delay trends look at invoices paid in the last 12 months.
 */

export const ORDER_WINDOW_DAYS = 90;
export const ORDER_HISTORY_PERIODS = 4;
export const MIN_HISTORY_ORDERS = 3;
/** Surge: recent > SURGE_FACTOR × average; collapse: recent < average ÷ COLLAPSE_DIVISOR. */
export const SURGE_FACTOR = 2;
export const COLLAPSE_DIVISOR = 2;
export const TREND_RUN = 3;
export const TREND_SLOPE_INVOICES = 6;
export const TREND_MIN_SLOPE_DAYS = 3;
export const TERM_EXTENSION_LOOKBACK_DAYS = 90;

export type WarningKind = 'order_surge' | 'order_collapse' | 'payment_delay_trend' | 'term_extension_while_late';

export interface OrderFigures {
  /** Orders registered in the last 90 days. */
  recentMinor: number;
  recentCount: number;
  /** Orders registered in the 360 days before those 90. */
  historyMinor: number;
  historyCount: number;
}

export interface EarlyWarning {
  kind: WarningKind;
  customerCode: string;
  /** The figures that raised it. */
  figures: Record<string, unknown>;
}

export function orderVolumeWarning(customerCode: string, f: OrderFigures): EarlyWarning | null {
  if (f.historyCount < MIN_HISTORY_ORDERS || f.historyMinor <= 0) return null;
  // Average per 90-day period = history / 4; compared in integers: recent > 2 × history / 4 ⇔ 2 × recent > history.
  const averageMinor = Math.round(f.historyMinor / ORDER_HISTORY_PERIODS);
  const figures = {
    ...f,
    averagePerPeriodMinor: averageMinor,
    ratioPercent: Math.round((f.recentMinor * ORDER_HISTORY_PERIODS * 100) / f.historyMinor),
  };
  if (f.recentMinor * ORDER_HISTORY_PERIODS > SURGE_FACTOR * f.historyMinor)
    return { kind: 'order_surge', customerCode, figures };
  if (f.recentMinor * ORDER_HISTORY_PERIODS * COLLAPSE_DIVISOR < f.historyMinor)
    return { kind: 'order_collapse', customerCode, figures };
  return null;
}

/** Least-squares slope of days late over invoice order (days per invoice). */
export function slope(values: number[]): number {
  const n = values.length;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((s, v) => s + v, 0) / n;
  let num = 0;
  let den = 0;
  values.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return den === 0 ? 0 : num / den;
}

/** `daysLate` of the customer's paid invoices, oldest first (by payment date). */
export function paymentDelayWarning(customerCode: string, daysLate: number[]): EarlyWarning | null {
  const latest = daysLate[daysLate.length - 1];
  if (daysLate.length < TREND_RUN || latest <= 0) return null;
  const run = daysLate.slice(-TREND_RUN);
  if (run.every((d, i) => i === 0 || d > run[i - 1])) {
    return {
      kind: 'payment_delay_trend',
      customerCode,
      figures: { rule: `last ${TREND_RUN} strictly increasing`, daysLate: run },
    };
  }
  if (daysLate.length >= TREND_SLOPE_INVOICES) {
    const last = daysLate.slice(-TREND_SLOPE_INVOICES);
    const s = slope(last);
    if (s >= TREND_MIN_SLOPE_DAYS) {
      return {
        kind: 'payment_delay_trend',
        customerCode,
        figures: {
          rule: `slope of last ${TREND_SLOPE_INVOICES} ≥ ${TREND_MIN_SLOPE_DAYS} days per invoice`,
          daysLate: last,
          slopeDaysPerInvoice: Math.round(s * 10) / 10,
        },
      };
    }
  }
  return null;
}

export interface TermExtensionFact {
  id: number;
  contractNo: string | null;
  requestedDays: number;
  reason: string;
  requestedBy: string;
  requestedAt: string;
  overdueMinor: number;
  oldestDaysOverdue: number;
}

export function termExtensionWarning(customerCode: string, request: TermExtensionFact): EarlyWarning | null {
  if (request.overdueMinor <= 0) return null;
  return { kind: 'term_extension_while_late', customerCode, figures: { ...request } };
}
