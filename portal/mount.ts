import fs from 'node:fs';
import path from 'node:path';
import busboy from 'busboy';
import express, {
  type ErrorRequestHandler,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import Handlebars from 'handlebars';
import type { ApiDeps } from '../api/deps';
import { toHttpError } from '../api/errors';
import { findBadInput } from '../api/input-guard';
import { formatDate, isLocalDate, localDateOf } from '../domain/dates';
import { DISPUTE_REASONS, type DisputeReason } from '../domain/disputes';
import type { Locale } from '../domain/locales';
import { formatMoney, parseDecimal } from '../domain/money';
import { contactLetter, contactLetters, customerStatement } from '../read-models/portal';
import { ATTACHMENT_MAX_BYTES, type Attachment, disputeFromPortal, promiseFromPortal } from '../services/portal';
import {
  type OpenedLink,
  formToken,
  formTokenHolds,
  linkSecret,
  openLink,
  verifiedLinkId,
} from '../services/portal-links';
import { type WordKey, reasonWord, refusalWord, word, words } from './words';

/**
 * The customer's page (docs/customer-page.md): /portal/<token>, outside /api and outside the console's
 * session. Server-rendered, no script; its forms carry a form token bound to the link. A bad, expired or
 * revoked link gets a polite page in both languages (403/410); nothing here ever shows a stack trace.
 */

const VIEWS = path.resolve(__dirname, '..', 'templates', 'portal');
const handlebars = Handlebars.create();
handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b);
const compiled = new Map<string, Handlebars.TemplateDelegate>();
function view(name: 'layout' | 'page' | 'letter' | 'refused'): Handlebars.TemplateDelegate {
  let template = compiled.get(name);
  if (!template) {
    template = handlebars.compile(fs.readFileSync(path.join(VIEWS, `${name}.hbs`), 'utf8'));
    compiled.set(name, template);
  }
  return template;
}

/** Bad tokens one address may try in a window before it is told to wait (429). */
const BAD_TOKEN_LIMIT = 30;
const BAD_TOKEN_WINDOW_MS = 10 * 60_000;
const FORM_BYTES = '32kb';
const NOTE_MAX = 2000;

class FormRefusal extends Error {
  constructor(readonly codes: string[]) {
    super(codes.join(', '));
  }
}

interface PortalRequest extends Request {
  link?: OpenedLink;
  portalLocale?: Locale;
  /** The dispute form's file, or why it was refused (readDisputeForm); never from the form's text fields. */
  upload?: { attachment?: Attachment; problem?: string };
}

/**
 * A form's fields, each a single string. A repeated field (`note=a&note=b`) parses to an array and is no
 * form of ours: it is refused with the polite page (400), never read as something else.
 */
function textFields(body: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  if (body === undefined || body === null) return fields;
  if (typeof body !== 'object') throw new FormRefusal(['other']);
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new FormRefusal(['other']);
    fields[name] = value;
  }
  return fields;
}

/** What was typed, to show again with a refusal: only what is a single string. */
function typed(body: unknown, names: string[]): Record<string, string> {
  const fields = (body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    names.map((name) => [name, typeof fields[name] === 'string' ? (fields[name] as string) : '']),
  );
}

export function portalRouter(deps: ApiDeps): Router {
  const router = express.Router();
  const companyName = deps.companyName ?? 'Huikuan';
  const badTokens = new Map<string, { count: number; resetAt: number }>();

  function send(res: Response, status: number, locale: Locale, title: string, body: string, switchHref?: string) {
    const other: Locale = locale === 'en' ? 'zh-CN' : 'en';
    res
      .status(status)
      .set({ 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex', 'Referrer-Policy': 'no-referrer' })
      .type('html')
      .send(
        view('layout')({
          locale,
          title,
          companyName,
          body,
          switchHref,
          switchLang: other,
          switchLabel: word(locale, 'language'),
        }),
      );
  }

  function refusedPage(res: Response, status: number, key: WordKey): void {
    const messages = (['zh-CN', 'en'] as const).map((lang) => ({
      lang,
      title: word(lang, 'linkRefusedTitle'),
      text: word(lang, key),
    }));
    send(res, status, 'zh-CN', word('zh-CN', 'linkRefusedTitle'), view('refused')({ messages }));
  }

  const tooManyBadTokens = (ip: string, now: number): boolean => {
    const entry = badTokens.get(ip);
    return entry !== undefined && entry.resetAt > now && entry.count >= BAD_TOKEN_LIMIT;
  };
  const countBadToken = (ip: string, now: number): void => {
    if (badTokens.size > 10_000) badTokens.clear();
    const entry = badTokens.get(ip);
    if (!entry || entry.resetAt <= now) badTokens.set(ip, { count: 1, resetAt: now + BAD_TOKEN_WINDOW_MS });
    else entry.count += 1;
  };

  /** Opens the link of every /portal/<token>… request, or answers with the refusal page. */
  const withLink: RequestHandler = (req: PortalRequest, res, next) => {
    const now = Date.now();
    const ip = req.ip ?? 'unknown';
    const token = String(req.params.token);
    (async () => {
      // Over the limit, an address gets 429 for any token whose signature fails, without a database read;
      // a genuine link (signed by us) still opens, so a customer behind the same address is not locked out.
      if (tooManyBadTokens(ip, now) && !verifiedLinkId(await linkSecret(deps.db), token))
        return refusedPage(res, 429, 'tooManyTries');
      const opened = await openLink(deps.db, token, now);
      if (typeof opened === 'string') {
        countBadToken(ip, now);
        return refusedPage(
          res,
          opened === 'expired' ? 410 : 403,
          opened === 'expired' ? 'linkExpired' : opened === 'revoked' ? 'linkRevoked' : 'linkTampered',
        );
      }
      req.link = opened;
      const asked = req.query.lang;
      req.portalLocale = asked === 'en' || asked === 'zh-CN' ? asked : opened.customer.locale === 'en' ? 'en' : 'zh-CN';
      next();
    })().catch(next);
  };

  const base = (link: OpenedLink) => `/portal/${link.token}`;
  const langQuery = (req: PortalRequest) =>
    req.query.lang === 'en' || req.query.lang === 'zh-CN' ? `?lang=${req.query.lang}` : '';

  async function renderPage(
    req: PortalRequest,
    res: Response,
    status: number,
    extra: { done?: string; refusal?: string[]; values?: Record<string, string> } = {},
  ): Promise<void> {
    const link = req.link!;
    const locale = req.portalLocale!;
    const today = localDateOf(Date.now(), link.customer.timeZone);
    const [statement, letters, secret] = await Promise.all([
      customerStatement(deps.db, link.customerCode, today),
      contactLetters(deps.db, link.customerCode, link.contact.id),
      linkSecret(deps.db),
    ]);
    const money = (minor: number, currency: string) => formatMoney(minor, currency, locale);
    const currencies = [...new Set(statement.map((l) => l.currency))];
    const totals = currencies.map((currency) => {
      const lines = statement.filter((l) => l.currency === currency);
      const balance = lines.reduce((sum, l) => sum + l.balanceMinor, 0);
      const interest = lines.reduce((sum, l) => sum + l.interestMinor, 0);
      return {
        balance: money(balance, currency),
        interest: money(interest, currency),
        totalDue: money(balance + interest, currency),
      };
    });
    const other: Locale = locale === 'en' ? 'zh-CN' : 'en';
    const body = view('page')({
      w: words(locale),
      customerName: link.customer.name,
      greeting: word(locale, 'greeting', { name: link.contact.name }),
      intro: word(locale, 'intro', { company: companyName, customer: link.customer.name }),
      validUntil: word(locale, 'validUntil', {
        date: formatDate(localDateOf(link.expiresAt.getTime(), link.customer.timeZone), locale),
      }),
      asOf: word(locale, 'statementAsOf', { date: formatDate(today, locale) }),
      today,
      base: base(link) + langQuery(req),
      formToken: formToken(secret, link.id),
      lines: statement.map((l) => ({
        invoiceNo: l.invoiceNo,
        contractNo: l.contractNo,
        contractTitle: l.contractTitle,
        dueDate: formatDate(l.dueDate, locale),
        daysOverdue: l.daysOverdue,
        overdue: l.daysOverdue > 0,
        amount: money(l.amountMinor, l.currency),
        balance: money(l.balanceMinor, l.currency),
        interest: money(l.interestMinor, l.currency),
        totalDue: money(l.balanceMinor + l.interestMinor, l.currency),
      })),
      totals,
      letters: letters.map((l) => ({
        invoiceNo: l.invoiceNo,
        subject: l.subject,
        sentAt: l.sentAt ? formatDate(localDateOf(l.sentAt.getTime(), link.customer.timeZone), locale) : '',
        href: `${base(link)}/letters/${l.id}${langQuery(req)}`,
      })),
      reasons: DISPUTE_REASONS.map((value) => ({ value, label: reasonWord(locale, value) })),
      values: extra.values ?? {},
      done: extra.done,
      refusal: extra.refusal,
    });
    send(res, status, locale, `${word(locale, 'title')} · ${link.customer.name}`, body, `${base(link)}?lang=${other}`);
  }

  /** A refused form comes back to the page with its reasons in the page's language and what was typed. */
  function formFailed(
    req: PortalRequest,
    res: Response,
    error: unknown,
    values: Record<string, string>,
  ): Promise<void> {
    const locale = req.portalLocale!;
    if (error instanceof FormRefusal)
      return renderPage(req, res, 400, { refusal: error.codes.map((code) => refusalWord(locale, code)), values });
    const http = toHttpError(error);
    if (http.status >= 500) throw error;
    const codes = http.details.length > 0 ? http.details.map((d) => d.code) : [undefined];
    return renderPage(req, res, http.status === 400 ? 400 : 409, {
      refusal: [...new Set(codes.map((code) => refusalWord(locale, code)))],
      values,
    });
  }

  const checkForm = async (req: PortalRequest, fields: Record<string, string>) => {
    if (!formTokenHolds(await linkSecret(deps.db), req.link!.id, fields._form)) throw new FormRefusal(['form_expired']);
    if (findBadInput(fields)) throw new FormRefusal(['other']);
  };

  const parseAmount = (text: string, currency: string): number => {
    const parsed = parseDecimal(text.replace(/[,\s，¥￥]/g, ''), currency);
    if ('error' in parsed) throw new FormRefusal(['invalid_amount_format']);
    return parsed.minor;
  };

  router.get('/:token', withLink, (req: PortalRequest, res, next) => {
    renderPage(req, res, 200).catch(next);
  });

  router.get('/:token/letters/:id', withLink, (req: PortalRequest, res, next) => {
    const link = req.link!;
    const locale = req.portalLocale!;
    const id = Number(req.params.id);
    (async () => {
      const letter = Number.isSafeInteger(id)
        ? await contactLetter(deps.db, link.customerCode, link.contact.id, id)
        : undefined;
      if (!letter) return renderPage(req, res, 404, { refusal: [word(locale, 'notFound')] });
      const body = view('letter')({
        w: words(locale),
        base: base(link) + langQuery(req),
        subject: letter.subject,
        invoiceNo: letter.invoiceNo,
        bodyText: letter.bodyText,
        sentAt: letter.sentAt ? formatDate(localDateOf(letter.sentAt.getTime(), link.customer.timeZone), locale) : '',
      });
      send(res, 200, locale, letter.subject, body);
    })().catch(next);
  });

  router.post(
    '/:token/promise',
    withLink,
    express.urlencoded({ extended: false, limit: FORM_BYTES, parameterLimit: 20 }),
    (req: PortalRequest, res, next) => {
      const values = typed(req.body, ['invoiceNo', 'promisedDate', 'amount']);
      (async () => {
        await checkForm(req, textFields(req.body));
        const link = req.link!;
        const invoice = (
          await customerStatement(deps.db, link.customerCode, localDateOf(Date.now(), link.customer.timeZone))
        ).find((line) => line.invoiceNo === values.invoiceNo);
        const codes: string[] = [];
        if (!invoice) codes.push('invalid_invoice');
        if (!isLocalDate(values.promisedDate)) codes.push('invalid_date');
        let amountMinor = 0;
        try {
          amountMinor = parseAmount(values.amount, invoice?.currency ?? 'CNY');
        } catch (error) {
          if (error instanceof FormRefusal) codes.push(...error.codes);
        }
        if (codes.length > 0) throw new FormRefusal(codes);
        await promiseFromPortal(deps, link, {
          invoiceNo: invoice!.invoiceNo,
          promisedDate: values.promisedDate,
          amountMinor,
        });
        const locale = req.portalLocale!;
        await renderPage(req, res, 200, {
          done: word(locale, 'promiseDone', {
            invoice: invoice!.invoiceNo,
            date: formatDate(values.promisedDate, locale),
            amount: formatMoney(amountMinor, invoice!.currency, locale),
            email: link.contact.email,
          }),
        });
      })().catch((error: unknown) => formFailed(req, res, error, values).catch(next));
    },
  );

  router.post('/:token/dispute', withLink, readDisputeForm, (req: PortalRequest, res, next) => {
    const values = typed(req.body, ['invoiceNo', 'reason', 'note']);
    (async () => {
      const { attachment, problem: attachmentProblem } = req.upload ?? {};
      // A body that could not be read whole (malformed multipart) is refused before anything else.
      if (attachmentProblem === 'malformed') throw new FormRefusal(['other']);
      await checkForm(req, textFields(req.body));
      const link = req.link!;
      const locale = req.portalLocale!;
      const codes: string[] = [];
      const open = await customerStatement(deps.db, link.customerCode, localDateOf(Date.now(), link.customer.timeZone));
      if (!open.some((line) => line.invoiceNo === values.invoiceNo)) codes.push('invalid_invoice');
      if (!(DISPUTE_REASONS as string[]).includes(values.reason)) codes.push('invalid_reason');
      if (!values.note.trim()) codes.push('missing_note');
      if (values.note.length > NOTE_MAX) codes.push('note_too_long');
      if (attachmentProblem) codes.push(attachmentProblem);
      if (codes.length > 0) throw new FormRefusal(codes);
      const reason = values.reason as DisputeReason;
      await disputeFromPortal(deps, link, {
        invoiceNo: values.invoiceNo,
        reason,
        reasonWord: (given) => reasonWord(locale, given),
        note: values.note.trim(),
        attachment,
      });
      await renderPage(req, res, 200, {
        done: word(locale, 'disputeDone', { invoice: values.invoiceNo, email: link.contact.email }),
      });
    })().catch((error: unknown) => formFailed(req, res, error, values).catch(next));
  });

  router.use((_req, res) => refusedPage(res, 403, 'linkTampered'));
  const errors: ErrorRequestHandler = (error, req: PortalRequest, res, next) => {
    if (res.headersSent) return next(error);
    const http = toHttpError(error);
    const locale = req.portalLocale ?? 'zh-CN';
    if (http.status === 413) {
      if (req.link) {
        renderPage(req, res, 413, { refusal: [refusalWord(locale, 'attachment_size')] }).catch(() =>
          refusedPage(res, 413, 'linkTampered'),
        );
        return;
      }
    }
    const messages = (['zh-CN', 'en'] as const).map((lang) => ({
      lang,
      title: word(lang, 'refusedTitle'),
      text: refusalWord(lang, 'other'),
    }));
    send(
      res,
      http.status >= 400 && http.status < 600 ? http.status : 500,
      locale,
      word(locale, 'refusedTitle'),
      view('refused')({ messages }),
    );
  };
  router.use(errors);
  return router;
}

/** What a file's first bytes say it is; a dispute takes PDF and images only, whatever the browser claimed. */
export function sniffContentType(head: Buffer): string | undefined {
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  if (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP')
    return 'image/webp';
  return undefined;
}

/**
 * Reads the dispute form (multipart, one file at most ATTACHMENT_MAX_BYTES): its text fields into req.body
 * (a repeated one as an array, which the route refuses), its file into req.upload; never a 500 for bad input.
 * A malformed body makes busboy emit `error` and then `close`: the first of them decides, once.
 */
const readDisputeForm: RequestHandler = (req: PortalRequest, _res, next) => {
  if (!req.is('multipart/form-data')) {
    express.urlencoded({ extended: false, limit: FORM_BYTES, parameterLimit: 20 })(req, _res, next);
    return;
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      defParamCharset: 'utf8',
      limits: { files: 1, fields: 20, fieldSize: 16 * 1024, fileSize: ATTACHMENT_MAX_BYTES, parts: 30 },
    });
  } catch (_error) {
    req.body = {};
    req.upload = { problem: 'malformed' };
    return next();
  }
  const fields: Record<string, string | string[]> = {};
  const chunks: Buffer[] = [];
  let fileName = '';
  let tooLarge = false;
  let finished = false;
  const finish = (upload: PortalRequest['upload']) => {
    if (finished) return;
    finished = true;
    req.body = fields;
    req.upload = upload;
    next();
  };
  const malformed = () => {
    req.unpipe(parser);
    req.resume();
    finish({ problem: 'malformed' });
  };
  parser.on('field', (name, value) => {
    if (name === 'attachment' || name.startsWith('__')) return;
    const before = Object.hasOwn(fields, name) ? fields[name] : undefined;
    fields[name] = before === undefined ? value : [before, value].flat();
  });
  parser.on('file', (_name, stream, info) => {
    fileName = info.filename ?? '';
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('limit', () => {
      tooLarge = true;
      stream.resume();
    });
    // A file cut short (malformed body) errors here too; the form's own `error` answers for it.
    stream.on('error', () => undefined);
  });
  parser.on('error', malformed);
  parser.on('close', () => {
    if (finished) return;
    const content = Buffer.concat(chunks);
    if (tooLarge) return finish({ problem: 'attachment_size' });
    if (content.length === 0) return finish({});
    const contentType = sniffContentType(content.subarray(0, 16));
    if (!contentType) return finish({ problem: 'attachment_type' });
    finish({
      attachment: {
        fileName:
          path
            .basename(fileName.replace(/\\/g, '/'))
            .replace(/[^\p{L}\p{N}._ -]/gu, '_')
            .slice(0, 200) || 'attachment',
        contentType,
        content,
      },
    });
  });
  req.pipe(parser);
};
