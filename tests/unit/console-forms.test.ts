import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { failureOf, formBody, formValues } from '../../console/forms';
import { localPath } from '../../console/pages/sign-in';
import { invalidInput } from '../../domain/refusal';

const Milestone = z.strictObject({
  name: z.string(),
  percent: z.number().int().optional(),
  amount: z.object({ value: z.string(), currency: z.string() }),
});
const Schema = z.strictObject({
  title: z.string(),
  count: z.number(),
  urgent: z.boolean(),
  note: z.string().optional(),
  milestones: z.array(Milestone),
});

describe('formBody: a flat HTML form read by the route schema', () => {
  it('nests dotted names, reads numbers and booleans, drops blank optional fields and blank spare rows', () => {
    const body = formBody(Schema, {
      _csrf: 'secret',
      title: 'Phase 1',
      count: '3',
      urgent: 'true',
      note: '',
      'milestones.1.name': 'Acceptance',
      'milestones.1.percent': '70',
      'milestones.1.amount.value': '700.00',
      'milestones.1.amount.currency': 'CNY',
      'milestones.0.name': 'Advance',
      'milestones.0.percent': '',
      'milestones.0.amount.value': '300.00',
      'milestones.0.amount.currency': 'CNY',
      'milestones.2.name': '',
      'milestones.2.percent': '',
      'milestones.2.amount.value': '',
      'milestones.2.amount.currency': '',
    });
    expect(body).toEqual({
      title: 'Phase 1',
      count: 3,
      urgent: true,
      milestones: [
        { name: 'Advance', amount: { value: '300.00', currency: 'CNY' } },
        { name: 'Acceptance', percent: 70, amount: { value: '700.00', currency: 'CNY' } },
      ],
    });
    expect(Schema.safeParse(body).success).toBe(true);
  });

  it('leaves what it cannot read as text, so the schema refuses it and names the field', () => {
    const body = formBody(Schema, { title: 'x', count: 'three', urgent: 'maybe' });
    const parsed = Schema.safeParse(body);
    expect(parsed.success).toBe(false);
    const fields = parsed.error!.issues.map((issue) => issue.path.join('.'));
    expect(fields).toEqual(expect.arrayContaining(['count', 'urgent', 'milestones']));
  });

  it('never nests into an object prototype', () => {
    const body = formBody(Schema, {
      'milestones.__proto__.polluted': 'yes',
      'constructor.prototype.x': 'y',
      title: 't',
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(body).toEqual({ title: 't' });
  });

  it('takes the last of a repeated field (a checkbox after its hidden "false")', () => {
    expect(formValues({ urgent: ['false', 'true'], title: 'a', nested: { x: 1 } })).toEqual({
      urgent: 'true',
      title: 'a',
    });
  });
});

describe('failureOf: a refusal beside the fields it names', () => {
  it('keeps every reason with its field and code, and what was typed', () => {
    const failure = failureOf('sign', { 'amount.value': 'abc' }, invalidInput('amount.value', 'not an amount'));
    expect(failure).toMatchObject({
      form: 'sign',
      status: 400,
      values: { 'amount.value': 'abc' },
      reasons: [{ field: 'amount.value', message: 'not an amount' }],
    });
  });
});

describe('localPath: sign-in sends a person only to a page of this site', () => {
  it.each([
    ['/contracts?stage=Delivery', '/contracts?stage=Delivery'],
    ['//evil.example/', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example/', '/'],
    [undefined, '/'],
  ])('%s → %s', (next, expected) => expect(localPath(next)).toBe(expected));
});
