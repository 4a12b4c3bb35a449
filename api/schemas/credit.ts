import { z } from 'zod';
import { GRADES } from '../../domain/contract-rules';
import {
  COLLAPSE_DIVISOR,
  MIN_HISTORY_ORDERS,
  ORDER_HISTORY_PERIODS,
  ORDER_WINDOW_DAYS,
  SURGE_FACTOR,
  TERM_EXTENSION_LOOKBACK_DAYS,
  TREND_MIN_SLOPE_DAYS,
  TREND_RUN,
  TREND_SLOPE_INVOICES,
  type WarningKind,
} from '../../domain/early-warnings';
import { Code, DateSchema, MoneySchema, Text } from './common';

/** Request bodies of the credit routes, and the early-warning thresholds they report. */

export const GradeOverrideSchema = z
  .object({
    grade: z.enum(GRADES).nullable().describe('the grade to apply until `until`; null removes the override'),
    reason: Text,
    until: DateSchema.optional().describe('last day the override applies (customer time zone); required with a grade'),
  })
  .meta({ id: 'GradeOverrideRequest' });

export const LimitOverrideSchema = z
  .object({
    limit: MoneySchema.nullable().describe('the credit limit to apply until `until`; null removes the override'),
    reason: Text,
    until: DateSchema.optional().describe('last day the override applies (customer time zone); required with a limit'),
  })
  .meta({ id: 'LimitOverrideRequest' });

export const HoldReleaseSchema = z
  .object({
    until: DateSchema.nullable().describe(
      'no automatic credit hold up to and including this date; null ends the release',
    ),
    reason: Text,
  })
  .meta({ id: 'HoldReleaseRequest' });

export const TermExtensionSchema = z
  .object({
    contractNo: Code.optional(),
    requestedDays: z
      .number()
      .int('must be a whole number of days')
      .min(1, 'must be at least 1 day')
      .max(365, 'must be at most 365 days'),
    reason: Text,
  })
  .meta({ id: 'TermExtensionRequest' });

export const WARNING_KINDS: readonly WarningKind[] = [
  'order_surge',
  'order_collapse',
  'payment_delay_trend',
  'term_extension_while_late',
];

export const WARNING_THRESHOLDS = {
  orderWindowDays: ORDER_WINDOW_DAYS,
  orderHistoryDays: ORDER_WINDOW_DAYS * ORDER_HISTORY_PERIODS,
  minHistoryOrders: MIN_HISTORY_ORDERS,
  surgeAbove: `${SURGE_FACTOR}× the average per ${ORDER_WINDOW_DAYS} days`,
  collapseBelow: `1/${COLLAPSE_DIVISOR} of the average per ${ORDER_WINDOW_DAYS} days`,
  delayTrend: `last ${TREND_RUN} paid invoices strictly later each time, or a slope ≥ ${TREND_MIN_SLOPE_DAYS} days per invoice over the last ${TREND_SLOPE_INVOICES}; the latest paid late`,
  termExtensionLookbackDays: TERM_EXTENSION_LOOKBACK_DAYS,
};
