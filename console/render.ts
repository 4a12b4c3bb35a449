import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import type { Locale } from '../domain/locales';
import type { RefusalReason } from '../domain/refusal';
import { formatAmount, formatInstant, formatLocalDate, messages, translate } from './i18n';

export const VIEWS_DIR = path.resolve(__dirname, '..', 'templates', 'console');

/** What every view gets beside its own data: the person, the language and the form token. */
export interface ViewFrame {
  locale: Locale;
  timeZone: string;
  person?: { name: string; role: string };
  csrfToken?: string;
  /** The path of the page, for the navigation's current item. */
  currentPath: string;
  /** The path and query of the page, for the language switch to come back to. */
  currentUrl?: string;
  nav?: { href: string; key: string; current: boolean }[];
}

type Template = Handlebars.TemplateDelegate;

/** A handlebars environment of its own: the letters' environment must not see the console's helpers. */
export class ConsoleViews {
  private readonly handlebars = Handlebars.create();
  private readonly templates = new Map<string, Template>();
  private layout: Template | undefined;

  constructor(private readonly viewsDir = VIEWS_DIR) {
    registerHelpers(this.handlebars);
    const partialsDir = path.join(viewsDir, 'partials');
    for (const file of fs.readdirSync(partialsDir).filter((name) => name.endsWith('.hbs')))
      this.handlebars.registerPartial(file.slice(0, -4), fs.readFileSync(path.join(partialsDir, file), 'utf8'));
  }

  /** A page inside the layout; `view` is a path under templates/console/pages without ".hbs". */
  page(view: string, frame: ViewFrame, title: string, data: Record<string, unknown>): string {
    const context = { ...data, frame, title };
    const body = this.template(view)(context);
    this.layout ??= this.handlebars.compile(fs.readFileSync(path.join(this.viewsDir, 'layout.hbs'), 'utf8'));
    return this.layout({ ...context, body });
  }

  private template(view: string): Template {
    let compiled = this.templates.get(view);
    if (!compiled) {
      if (!/^[a-z0-9-]+(\/[a-z0-9-]+)*$/.test(view)) throw new Error(`bad view name ${view}`);
      compiled = this.handlebars.compile(fs.readFileSync(path.join(this.viewsDir, 'pages', `${view}.hbs`), 'utf8'));
      this.templates.set(view, compiled);
    }
    return compiled;
  }
}

interface HelperOptions {
  hash: Record<string, unknown>;
  data: { root: { frame: ViewFrame } };
}

const frameOf = (options: HelperOptions): ViewFrame => options.data.root.frame;

/** A field's name for people ("refusal.field.milestones.#" = "第{n}个回款节点", n counted from 1), else its path. */
function fieldLabel(locale: Locale, field: string): string {
  const rows: number[] = [];
  const pattern = field.replace(/(?<=^|\.)\d+(?=\.|$)/g, (index) => {
    rows.push(Number(index) + 1);
    return '#';
  });
  const key = `refusal.field.${pattern}`;
  return key in messages()[locale] ? translate(locale, key, { n: rows[0] }) : field;
}

function registerHelpers(handlebars: typeof Handlebars): void {
  /** {{t "contracts.title"}} or {{t "work.count" n=3}}: the word in the page's language. */
  handlebars.registerHelper('t', (key: unknown, options: HelperOptions) =>
    translate(frameOf(options).locale, String(key), options.hash),
  );
  /** {{tk "stage." stage}}: a key built from a prefix and a value (stages, roles, statuses). */
  handlebars.registerHelper('tk', (prefix: unknown, value: unknown, options: HelperOptions) =>
    value === undefined || value === null || value === ''
      ? ''
      : translate(frameOf(options).locale, `${String(prefix)}${String(value)}`),
  );
  handlebars.registerHelper('money', (money: unknown, options: HelperOptions) =>
    formatAmount(money as { value: string; currency: string } | undefined, frameOf(options).locale),
  );
  handlebars.registerHelper('date', (date: unknown, options: HelperOptions) =>
    formatLocalDate(typeof date === 'string' ? date : undefined, frameOf(options).locale),
  );
  handlebars.registerHelper('datetime', (instant: unknown, options: HelperOptions) => {
    const frame = frameOf(options);
    return formatInstant(instant as string | Date | undefined, frame.locale, frame.timeZone);
  });
  handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  handlebars.registerHelper('ne', (a: unknown, b: unknown) => a !== b);
  handlebars.registerHelper('gt', (a: unknown, b: unknown) => Number(a) > Number(b));
  handlebars.registerHelper('lt', (a: unknown, b: unknown) => Number(a) < Number(b));
  handlebars.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  handlebars.registerHelper('and', (...args: unknown[]) => args.slice(0, -1).every(Boolean));
  handlebars.registerHelper('not', (value: unknown) => !value);
  /** {{json value}}: data for a chart or a script, safe inside <script type="application/json">. */
  handlebars.registerHelper(
    'json',
    (value: unknown) => new handlebars.SafeString(JSON.stringify(value ?? null).replace(/</g, '\\u003c')),
  );
  /** {{valueAt values "amount.value"}}: what the person typed in a field named by its API path. */
  handlebars.registerHelper('valueAt', (values: unknown, name: unknown) => {
    if (!values || typeof values !== 'object') return undefined;
    return (values as Record<string, unknown>)[String(name)];
  });
  /**
   * {{reasonText r}}: a refusal reason in the page's language. The sentence is "refusal.<code>" of the catalog,
   * {field} the field's name for people; "{message}" keeps the original message, muted, where it says more
   * than the sentence can (names, amounts, dates). Without a sentence (or one that is just "{message}"),
   * the message as it came. Every part is escaped.
   */
  handlebars.registerHelper('reasonText', (reason: unknown, options: HelperOptions) => {
    if (typeof reason === 'string') return reason;
    const { code, field, message } = (reason ?? {}) as Partial<RefusalReason>;
    const { locale } = frameOf(options);
    const sentence = code ? messages()[locale][`refusal.${code}`] : undefined;
    if (sentence === undefined || sentence === '{message}') return message;
    const label = field ? fieldLabel(locale, field) : '';
    const escape = handlebars.escapeExpression;
    return new handlebars.SafeString(
      sentence
        .split('{message}')
        .map((part) => escape(part.replaceAll('{field}', () => label)))
        .join(`<span class="muted">${escape(message ?? '')}</span>`),
    );
  });
  handlebars.registerHelper('asPercent', (value: unknown) =>
    value === null || value === undefined ? '' : `${(Number(value) * 100).toFixed(1)}%`,
  );
}
