import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { messages } from '../../console/i18n';
import { ConsoleViews, VIEWS_DIR } from '../../console/render';
import type { Locale } from '../../domain/locales';
import type { RefusalReason } from '../../domain/refusal';

const ROOT = path.resolve(__dirname, '..', '..');
/** Where refusals are raised: the domain, the services, the API, workflows, activities, read models and the db. */
const SOURCE_DIRS = ['domain', 'services', 'api', 'workflows', 'activities', 'read-models', 'db'];

/** Every reason code the source raises: `code: 'x'`, `code: CONSTANT`, ruleRefusal(kind, 'x', …), invalidInput(…, 'x'). */
function raisedCodes(): Map<string, string> {
  const codes = new Map<string, string>();
  for (const dir of SOURCE_DIRS)
    for (const name of fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })) {
      if (!name.endsWith('.ts')) continue;
      const file = path.join(dir, name);
      const source = fs.readFileSync(path.join(ROOT, file), 'utf8');
      const constant = (id: string) => new RegExp(`const ${id} = '([a-z_]+)'`).exec(source)?.[1];
      const found = [
        ...[...source.matchAll(/\bcode: '([a-z_]+)'/g)].map((m) => m[1]),
        ...[...source.matchAll(/\bcode: ([A-Z_]+)\b/g)].map((m) => constant(m[1])),
        ...[...source.matchAll(/ruleRefusal\(\s*'\w+',\s*'([a-z_]+)'/g)].map((m) => m[1]),
        ...[...source.matchAll(/invalidInput\([^()]*?,\s*'([a-z_]+)'\s*\)/g)].map((m) => m[1]),
      ];
      for (const code of found) if (code) codes.set(code, file);
    }
  return codes;
}

/** The real partials, under a page of the test's own that shows one failure's reasons. */
const viewsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-refusals-'));
fs.cpSync(path.join(VIEWS_DIR, 'partials'), path.join(viewsDir, 'partials'), { recursive: true });
fs.mkdirSync(path.join(viewsDir, 'pages'));
fs.writeFileSync(path.join(viewsDir, 'layout.hbs'), '{{{body}}}');
fs.writeFileSync(
  path.join(viewsDir, 'pages', 'refused.hbs'),
  '<div id="list">{{> form-errors failure=failure}}</div><div id="beside">{{> field-error failure=failure name=name}}</div>',
);
const views = new ConsoleViews(viewsDir);
afterAll(() => fs.rmSync(viewsDir, { recursive: true, force: true }));

function render(locale: Locale, reasons: RefusalReason[], name = ''): { list: string; beside: string } {
  const frame = { locale, timeZone: 'Asia/Shanghai', currentPath: '/' };
  const failure = { form: 'sign', status: 409, message: 'refused', values: {}, reasons };
  const html = views.page('refused', frame, 'test', { failure, name });
  return {
    list: /<ul>(.*)<\/ul>/s.exec(html)![1],
    beside: /<div id="beside">(.*)<\/div>/s.exec(html)![1].trim(),
  };
}

describe('refusal reasons in the reader’s language', () => {
  it('has a zh-CN sentence for every code the source raises', () => {
    const codes = raisedCodes();
    expect(codes.size).toBeGreaterThan(80);
    const known = messages()['zh-CN'];
    const missing = [...codes]
      .filter(([code]) => !(`refusal.${code}` in known))
      .map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
  });

  it('keeps the original message in English', () => {
    for (const [key, text] of Object.entries(messages().en))
      if (key.startsWith('refusal.') && !key.startsWith('refusal.field.')) expect(text, key).toBe('{message}');
  });

  it('words a known code in zh-CN with the field’s name, beside the field and in the list', () => {
    const reason = {
      code: 'missing_term',
      field: 'terms.acceptanceOwner',
      message: 'the contract does not name the acceptance owner',
    };
    const { list, beside } = render('zh-CN', [reason], 'terms.acceptanceOwner');
    expect(beside).toBe('<span class="field-error">合同未写明验收负责人</span>');
    expect(list).toBe('<li><code>terms.acceptanceOwner</code>: 合同未写明验收负责人</li>');
    expect(render('en', [reason], 'terms.acceptanceOwner').beside).toBe(
      '<span class="field-error">the contract does not name the acceptance owner</span>',
    );
  });

  it('names a numbered row and keeps specifics the sentence cannot carry, muted', () => {
    const row = {
      code: 'non_positive_amount',
      field: 'milestones.1',
      message: 'milestone 2 must have a positive amount',
    };
    expect(render('zh-CN', [row]).list).toContain('第2个回款节点的金额必须大于零');
    const sum = {
      code: 'milestones_do_not_sum',
      field: 'milestones',
      message: 'milestones sum to 9000000 minor units but the contract amount is 10000000 (difference 1000000)',
    };
    expect(render('zh-CN', [sum], 'milestones').beside).toBe(
      `<span class="field-error">回款节点合计与合同金额不符 <span class="muted">${sum.message}</span></span>`,
    );
  });

  it('shows the message as it came for an unknown code or none, only beside its own field', () => {
    const reasons = [
      { code: 'something_new', field: 'title', message: 'a rule added after these words' },
      { field: 'title', message: 'plain input error' },
      { code: 'missing_acceptor', field: 'acceptor', message: 'acceptance needs the name of the acceptor' },
    ];
    const { list, beside } = render('zh-CN', reasons, 'title');
    expect(beside).toBe(
      '<span class="field-error">a rule added after these words</span><span class="field-error">plain input error</span>',
    );
    expect(list).toContain('<code>acceptor</code>: 验收须写明验收人');
  });

  it('escapes what the reason carries, translated or not', () => {
    const hostile = '<script>alert(1)</script>';
    for (const reason of [
      { code: 'something_new', field: 'x', message: hostile },
      { code: 'risk_too_high', field: 'x', message: hostile },
      { code: 'invalid_date', field: `${hostile}.0`, message: hostile },
    ]) {
      const { list, beside } = render('zh-CN', [reason], reason.field);
      for (const html of [list, beside]) {
        expect(html).not.toContain('<script>');
        expect(html).toContain('&lt;script&gt;');
      }
    }
  });
});
