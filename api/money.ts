import { type Money, parseDecimal, toDecimal } from '../domain/money';
import { invalidInput } from '../domain/refusal';

export interface MoneyInput {
  value: string;
  currency: string;
}

/** Converts an API amount to minor units, naming the field when it is not valid. */
export function toMinor(money: MoneyInput, field: string, expectedCurrency?: string): Money {
  if (expectedCurrency && money.currency !== expectedCurrency) {
    throw invalidInput(`${field}.currency`, `must be ${expectedCurrency}, the contract's currency`);
  }
  const parsed = parseDecimal(money.value, money.currency);
  if ('error' in parsed) throw invalidInput(`${field}.value`, `${money.value} ${parsed.error}`);
  return { minor: parsed.minor, currency: money.currency };
}

export function fromMinor(minor: number, currency: string): MoneyInput {
  return { value: toDecimal(minor, currency), currency };
}
