import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { renderLetter } from '../../activities/render';
import { formatDate } from '../../domain/dates';
import { LOCALES, type Locale } from '../../domain/locales';
import { formatMoney } from '../../domain/money';

const TEMPLATE_DIR = path.resolve(__dirname, '..', '..', 'templates', 'letters');
const LETTERS = ['pre_due', 'due', 'overdue_1', 'formal_reminder', 'statement_30', 'executive_60', 'legal_notice_90'];
const PAST_DUE = LETTERS.slice(LETTERS.indexOf('overdue_1'));
const NEW_LETTERS = ['formal_reminder', 'statement_30', 'executive_60', 'legal_notice_90'];
const WITH_INTEREST_LINE = ['statement_30', 'legal_notice_90'];
const PARTS = ['subject', 'text', 'html'] as const;

/** The variables the letter activity provides; a template must use nothing else. */
const ALLOWED_VARIABLES = [
  'deliveryCopied',
  'contactName',
  'customerName',
  'contractNo',
  'contractTitle',
  'invoiceNo',
  'amount',
  'paidSoFar',
  'balance',
  'dueDate',
  'daysOverdue',
  'daysUntilDue',
  'paymentMethod',
  'senderName',
  'senderTitle',
  'companyName',
  'occurrence',
  'repeated',
  'accruedInterest',
  'interestRatePercent',
  'totalDue',
  'penaltyClause',
  'finalDeadline',
  'statementDate',
  'portalUrl',
];

const CUSTOMER = 'Acme <b>& Sons';
/** The customer's page link (issue 11): the one link a letter carries. */
const PORTAL_URL = 'https://ar.example.com/portal/abc.def';
const INTEREST_WORD: Record<Locale, RegExp> = { 'zh-CN': /利息/, en: /interest/i };

function sampleContext(locale: Locale, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const money = (minor: number) => formatMoney(minor, 'CNY', locale);
  return {
    contactName: locale === 'en' ? 'Li Na' : '李娜',
    customerName: CUSTOMER,
    contractNo: 'HT-2026-0042',
    contractTitle: locale === 'en' ? 'Warehouse system rollout' : '仓储系统实施项目',
    invoiceNo: 'INV-2026-0815',
    amount: money(12_000_000),
    paidSoFar: money(2_000_000),
    balance: money(10_000_000),
    dueDate: formatDate('2026-03-02', locale),
    daysOverdue: 47,
    daysUntilDue: 0,
    paymentMethod:
      locale === 'en' ? 'bank transfer to account 6214-8301-0000-0001' : '银行转账至账号 6214-8301-0000-0001',
    senderName: locale === 'en' ? 'Zhang Wei' : '张伟',
    senderTitle: locale === 'en' ? 'Finance Manager' : '财务经理',
    companyName: locale === 'en' ? 'Huaxin Technology' : '华信科技',
    occurrence: 3,
    repeated: true,
    deliveryCopied: true,
    accruedInterest: money(236_000),
    interestRatePercent: '18.25',
    totalDue: money(10_236_000),
    penaltyClause: locale === 'en' ? '0.05% of the overdue amount per day' : '每日按逾期金额的万分之五计付违约金',
    finalDeadline: formatDate('2026-06-15', locale),
    statementDate: formatDate('2026-04-18', locale),
    portalUrl: PORTAL_URL,
    ...overrides,
  };
}

/** Every name a template reads (mustache paths and block parameters such as `#if x`). */
function variablesOf(source: string): Set<string> {
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as Record<string, unknown>;
    if (n.type === 'PathExpression') {
      names.add(String(n.original));
      return;
    }
    if (n.type === 'BlockStatement' || n.type === 'MustacheStatement') {
      const helper = (n.path as { original: string }).original;
      const isHelperCall = Array.isArray(n.params) && n.params.length > 0;
      if (!isHelperCall) names.add(helper);
      visit(n.params);
      visit(n.program);
      visit(n.inverse);
      return;
    }
    for (const value of Object.values(n)) visit(value);
  };
  visit(Handlebars.parse(source));
  return names;
}

describe('letter templates', () => {
  it('has at least six complete letters per locale', () => {
    for (const locale of LOCALES) {
      const files = fs.readdirSync(path.join(TEMPLATE_DIR, locale)).filter((f) => f.endsWith('.hbs'));
      const names = new Set(files.map((f) => f.replace(/\.(subject|text|html)\.hbs$/, '')));
      expect(names.size, locale).toBeGreaterThanOrEqual(6);
      for (const name of [...names, ...LETTERS]) {
        for (const part of PARTS) expect(files, `${locale}/${name}`).toContain(`${name}.${part}.hbs`);
      }
    }
  });

  it('uses only the variables the letter activity provides', () => {
    for (const locale of LOCALES) {
      for (const name of LETTERS) {
        for (const part of PARTS) {
          const source = fs.readFileSync(path.join(TEMPLATE_DIR, locale, `${name}.${part}.hbs`), 'utf8');
          for (const variable of variablesOf(source)) {
            expect(ALLOWED_VARIABLES, `${locale}/${name}.${part}: ${variable}`).toContain(variable);
          }
        }
      }
    }
  });

  for (const locale of LOCALES) {
    describe(locale, () => {
      for (const name of LETTERS) {
        it(`${name} states the invoice, balance, due date and how to pay`, () => {
          const ctx = sampleContext(locale);
          const letter = renderLetter(locale, name, ctx);
          expect(letter.subject.trim()).not.toBe('');
          expect(letter.subject).not.toContain('\n');
          expect(letter.subject).toContain(ctx.invoiceNo);
          for (const body of [letter.text, letter.html]) {
            expect(body).toContain(ctx.balance);
            expect(body).toContain(ctx.dueDate);
            expect(body).toContain(ctx.paymentMethod);
            if (PAST_DUE.includes(name)) expect(body).toContain(String(ctx.daysOverdue));
          }
          expect(letter.text).not.toMatch(/\n{3,}/);
          expect(letter.text).toContain(PORTAL_URL);
          expect(letter.html).toContain(`<a href="${PORTAL_URL}">`);
          expect(letter.html.replaceAll(PORTAL_URL, '')).not.toMatch(/<script|<img|<link|<style|https?:\/\//i);
        });

        it(`${name} escapes the customer name in HTML only`, () => {
          const letter = renderLetter(locale, name, sampleContext(locale));
          expect(letter.html).not.toContain('<b>');
          if (letter.text.includes(CUSTOMER)) {
            expect(letter.html).toContain('Acme &lt;b&gt;&amp; Sons');
          } else {
            // The three original letters do not all name the customer; every new one does.
            expect(NEW_LETTERS).not.toContain(name);
          }
        });
      }

      for (const name of NEW_LETTERS) {
        it(`${name} shows the accrued interest when there is some`, () => {
          const ctx = sampleContext(locale);
          const letter = renderLetter(locale, name, ctx);
          expect(letter.text).toContain(ctx.accruedInterest);
          expect(letter.html).toContain(ctx.accruedInterest);
          expect(letter.text).toContain(CUSTOMER);
        });
      }

      for (const name of WITH_INTEREST_LINE) {
        it(`${name} lists rate, interest and total, and drops the interest line when there is none`, () => {
          const ctx = sampleContext(locale);
          const withInterest = renderLetter(locale, name, ctx);
          expect(withInterest.text).toContain(`${ctx.interestRatePercent}%`);
          expect(withInterest.text).toContain(ctx.totalDue);
          expect(
            withInterest.text
              .split('\n')
              .some((l) => l.includes(ctx.accruedInterest as string) && INTEREST_WORD[locale].test(l)),
          ).toBe(true);

          const none = sampleContext(locale, { accruedInterest: '', totalDue: ctx.balance });
          const without = renderLetter(locale, name, none);
          expect(without.text).toContain(ctx.balance);
          expect(without.text).toContain(ctx.dueDate);
          for (const line of without.text.split('\n')) expect(line, line).not.toMatch(INTEREST_WORD[locale]);
          expect(without.html).not.toMatch(INTEREST_WORD[locale]);
          expect(without.html).not.toMatch(/<td>\s*<\/td>/);
        });
      }

      it('statement_30 tells the customer about the credit hold and the period close', () => {
        const text = renderLetter(locale, 'statement_30', sampleContext(locale)).text;
        const ctx = sampleContext(locale);
        expect(text).toContain(ctx.paidSoFar);
        expect(text).toContain(ctx.amount);
        expect(text).toContain(ctx.statementDate);
        expect(text).toMatch(locale === 'en' ? /credit hold/ : /信用冻结/);
        expect(text).toMatch(locale === 'en' ? /closing our books/ : /期末结账/);
      });

      it('legal_notice_90 cites the penalty clause and the final deadline', () => {
        const ctx = sampleContext(locale);
        const letter = renderLetter(locale, 'legal_notice_90', ctx);
        expect(letter.subject).toContain(ctx.finalDeadline);
        expect(letter.text).toContain(ctx.penaltyClause);
        expect(letter.text).toContain(ctx.finalDeadline);
        expect(letter.text).toContain(ctx.totalDue);
      });

      it('formal_reminder gives the reminder number only when it is a repeat', () => {
        const marker = locale === 'en' ? 'reminder no. 3' : '第 3 次';
        const generic = locale === 'en' ? /reminder no\./ : /第 \d+ 次/;
        const repeated = renderLetter(
          locale,
          'formal_reminder',
          sampleContext(locale, { occurrence: 3, repeated: true }),
        );
        expect(repeated.subject).toContain(marker);
        expect(repeated.text).toContain(marker);
        expect(repeated.html).toContain(marker);

        const first = renderLetter(
          locale,
          'formal_reminder',
          sampleContext(locale, { occurrence: 1, repeated: false }),
        );
        for (const part of [first.subject, first.text, first.html]) expect(part).not.toMatch(generic);
      });

      it('formal_reminder says the delivery manager is copied only when they are', () => {
        const copied = locale === 'en' ? 'copied our delivery manager' : '抄送我方交付负责人';
        expect(renderLetter(locale, 'formal_reminder', sampleContext(locale, { deliveryCopied: true })).text).toContain(
          copied,
        );
        const alone = renderLetter(locale, 'formal_reminder', sampleContext(locale, { deliveryCopied: false }));
        expect(alone.text).not.toContain(copied);
        expect(alone.html).not.toContain(copied);
      });
    });
  }
});
