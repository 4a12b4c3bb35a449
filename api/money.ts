import { type DecimalMoney, type Money, parseDecimal } from '../domain/money';
import { invalidInput } from '../domain/refusal';

// fromMinor is pure and the read models use it too: it lives in domain/money.ts; the routes keep importing it here.
export { fromMinor } from '../domain/money';

/** An amount in a request: the same shape the API returns. */
export type MoneyInput = DecimalMoney;

/** Converts an API amount to minor units, naming the field when it is not valid. */
export function toMinor(money: MoneyInput, field: string, expectedCurrency?: string): Money {
  if (expectedCurrency && money.currency !== expectedCurrency) {
    throw invalidInput(`${field}.currency`, `must be ${expectedCurrency}, the contract's currency`);
  }
  const parsed = parseDecimal(money.value, money.currency);
  if ('error' in parsed) throw invalidInput(`${field}.value`, `${money.value} ${parsed.error}`);
  return { minor: parsed.minor, currency: money.currency };
}
