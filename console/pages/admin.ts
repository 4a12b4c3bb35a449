import type { ApiDeps } from '../../api/deps';
import type { RouteResult } from '../../api/route';
import type { BusinessCalendar, CalendarDay } from '../../domain/calendar';
import { localDateOf } from '../../domain/dates';
import { type Locale, LOCALES } from '../../domain/locales';
import { ROLES } from '../../domain/roles';
import { NOTIFY_CHOICES } from '../../domain/statuses';
import type { FormFailure, FormValues } from '../forms';
import type { ConsolePages, PageRequest, View } from '../pages';
import { withChineseFont } from '../letters';
import { href } from '../links';

/** Admin pages (issue 10): people and their tokens, the business calendars and the embedded mailbox. */
export function registerAdmin(pages: ConsolePages, deps: ApiDeps): void {
  registerPeople(pages, deps);
  registerCalendars(pages, deps);
  registerMailbox(pages, deps);
}

type Tab = 'people' | 'calendars' | 'mailbox';

/** The admin area's own tabs: the navigation links only its first page. */
function adminTabs(pages: ConsolePages, deps: ApiDeps, page: PageRequest, current: Tab) {
  const tabs: { tab: Tab; href: string; shown: boolean }[] = [
    { tab: 'people', href: '/admin/people', shown: pages.can(page, 'get', '/api/v1/people') },
    { tab: 'calendars', href: '/admin/calendars', shown: pages.can(page, 'get', '/api/v1/calendars') },
    {
      tab: 'mailbox',
      href: '/admin/mailbox',
      shown: deps.mailboxEnabled && pages.can(page, 'get', '/api/v1/mailbox'),
    },
  ];
  return tabs.filter((tab) => tab.shown).map((tab) => ({ ...tab, current: tab.tab === current }));
}

const failureFor = (failure: FormFailure | undefined, form: string) => (failure?.form === form ? failure : undefined);

// ---------------------------------------------------------------------------------------------- people

interface Person {
  name: string;
  role: string;
  email: string | null;
  active: boolean;
  locale: Locale;
  manager: string | null;
  notify: string;
  digestHour: number;
  timeZone: string | null;
  hasPassword: boolean;
  passwordChangedAt: string | null;
  lockedUntil: string | null;
  locked: boolean;
  activeTokens: number;
}

interface Token {
  id: number;
  person: string;
  label: string;
  status: 'active' | 'expired' | 'revoked';
  createdAt: string;
  createdBy: string;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  lastUsedAt: string | null;
}

interface IssuedToken {
  id: number;
  name: string;
  label: string;
  expiresAt: string | null;
  token: string;
}

const ISSUED_SECRET_TTL_MS = 5 * 60_000;

/**
 * A new token's secret, held for the one page the POST that issued it redirects to, so it never travels in
 * a URL or a cookie: taken on the first read, forgotten after a few minutes. In memory, keyed by session:
 * one API process serves the console, and a secret lost with a restart is simply issued again.
 */
class IssuedSecrets {
  private readonly bySession = new Map<string, { token: IssuedToken; at: number }>();

  put(sessionHash: string, token: IssuedToken): void {
    const now = Date.now();
    for (const [key, entry] of this.bySession) if (now - entry.at > ISSUED_SECRET_TTL_MS) this.bySession.delete(key);
    this.bySession.set(sessionHash, { token, at: now });
  }

  take(sessionHash: string, person: string): IssuedToken | undefined {
    const entry = this.bySession.get(sessionHash);
    if (!entry || entry.token.name !== person) return undefined;
    this.bySession.delete(sessionHash);
    return Date.now() - entry.at <= ISSUED_SECRET_TTL_MS ? entry.token : undefined;
  }
}

const personHref = (name: string) => `/admin/people/${encodeURIComponent(name)}`;

function registerPeople(pages: ConsolePages, deps: ApiDeps): void {
  const secrets = new IssuedSecrets();
  const peopleView = peopleListView(pages, deps);
  const personView = personPageView(pages, deps);
  const personAction = (form: string) => ({
    form,
    done: (_result: RouteResult, page: PageRequest) => personHref(page.params.name),
    view: personView,
  });

  pages.page('/admin/people', peopleView);
  pages.action('/admin/people', {
    form: 'create',
    route: ['post', '/api/v1/people'],
    done: (result) => personHref((result.body as Person).name),
    view: peopleView,
  });
  pages.page('/admin/people/:name', personView);
  pages.action('/admin/people/:name/profile', { ...personAction('profile'), route: ['patch', '/api/v1/people/:name'] });
  pages.action('/admin/people/:name/mail', { ...personAction('mail'), route: ['patch', '/api/v1/people/:name'] });
  pages.action('/admin/people/:name/active', { ...personAction('active'), route: ['patch', '/api/v1/people/:name'] });
  pages.action('/admin/people/:name/password', {
    ...personAction('password'),
    route: ['put', '/api/v1/people/:name/password'],
  });
  pages.action('/admin/people/:name/tokens', {
    ...personAction('issue'),
    route: ['post', '/api/v1/people/:name/tokens'],
    done: (result, page) => {
      secrets.put(page.session.sessionHash, result.body as IssuedToken);
      return `${personHref(page.params.name)}/tokens/issued`;
    },
  });
  pages.action('/admin/people/:name/tokens/:id/revoke', {
    route: ['post', '/api/v1/tokens/:id/revoke'],
    params: (page) => ({ id: page.params.id }),
    ...personAction('revoke'),
    view: (page, failure) => personView(page, failure && { ...failure, form: `revoke-${page.params.id}` }),
  });
  pages.page('/admin/people/:name/tokens/issued', async (page) => ({
    view: 'admin/token-issued',
    title: page.t('admin.token.issuedTitle'),
    data: {
      tabs: adminTabs(pages, deps, page, 'people'),
      name: page.params.name,
      personHref: personHref(page.params.name),
      issued: secrets.take(page.session.sessionHash, page.params.name),
    },
  }));
}

function peopleListView(pages: ConsolePages, deps: ApiDeps) {
  return async (page: PageRequest, failure?: FormFailure): Promise<View> => {
    const filters = { q: page.query.q, role: page.query.role, active: page.query.active };
    const list = await pages.api<{ people: Person[]; next: string | null }>(page, 'get', '/api/v1/people', {
      query: { ...filters, after: page.query.after },
    });
    return {
      view: 'admin/people',
      title: page.t('admin.people.title'),
      data: {
        tabs: adminTabs(pages, deps, page, 'people'),
        filters,
        people: list.people.map((person) => ({ ...person, href: personHref(person.name) })),
        nextHref: list.next ? href('/admin/people', { ...filters, after: list.next }) : undefined,
        firstHref: page.query.after ? href('/admin/people', filters) : undefined,
        roles: ROLES,
        locales: LOCALES,
        notifyChoices: NOTIFY_CHOICES,
        canCreate: pages.can(page, 'post', '/api/v1/people'),
        failure: failureFor(failure, 'create'),
      },
    };
  };
}

function personPageView(pages: ConsolePages, deps: ApiDeps) {
  return async (page: PageRequest, failure?: FormFailure): Promise<View> => {
    const name = page.params.name;
    const [person, tokens] = await Promise.all([
      pages.api<Person>(page, 'get', '/api/v1/people/:name', { params: { name } }),
      pages.api<Token[]>(page, 'get', '/api/v1/tokens', { query: { person: name } }),
    ]);
    const canRevoke = pages.can(page, 'post', '/api/v1/tokens/:id/revoke');
    return {
      view: 'admin/person',
      title: person.name,
      data: {
        tabs: adminTabs(pages, deps, page, 'people'),
        person,
        href: personHref(person.name),
        itIsMe: person.name === page.actor.name,
        profile: {
          role: failure?.form === 'profile' ? (failure.values.role ?? person.role) : person.role,
          locale: failure?.form === 'profile' ? (failure.values.locale ?? person.locale) : person.locale,
        },
        managerHref: person.manager ? personHref(person.manager) : undefined,
        mail: mailValues(person, failureFor(failure, 'mail')),
        notifyChoices: NOTIFY_CHOICES,
        roles: ROLES,
        locales: LOCALES,
        tokens: tokens.map((token) => ({
          ...token,
          canRevoke: canRevoke && token.status !== 'revoked',
          failure: failureFor(failure, `revoke-${token.id}`),
        })),
        can: {
          update: pages.can(page, 'patch', '/api/v1/people/:name'),
          password: pages.can(page, 'put', '/api/v1/people/:name/password'),
          issue: pages.can(page, 'post', '/api/v1/people/:name/tokens'),
        },
        failures: {
          profile: failureFor(failure, 'profile'),
          mail: failureFor(failure, 'mail'),
          active: failureFor(failure, 'active'),
          password: failureFor(failure, 'password'),
          issue: failureFor(failure, 'issue'),
        },
      },
    };
  };
}

/** The mail form's fields: what was typed after a refusal, else the person's current values. */
function mailValues(person: Person, failure: FormFailure | undefined) {
  const typed = (name: string, current: string) => (failure ? (failure.values[name] ?? '') : current);
  return {
    email: typed('email', person.email ?? ''),
    manager: typed('manager', person.manager ?? ''),
    notify: typed('notify', person.notify),
    digestHour: typed('digestHour', String(person.digestHour)),
    timeZone: typed('timeZone', person.timeZone ?? ''),
  };
}

// ------------------------------------------------------------------------------------------- calendars

interface CalendarSummary {
  id: string;
  name: string;
  weekendDays: number[];
  holidays: number;
  makeUpWorkdays: number;
  builtIn: boolean;
  updatedBy: string | null;
  updatedAt: string | null;
}

const CALENDAR_PAGE_SIZE = 50;
const SPARE_DAY_ROWS = 3;
const calendarHref = (id: string) => `/admin/calendars/${encodeURIComponent(id)}`;

function registerCalendars(pages: ConsolePages, deps: ApiDeps): void {
  const listView = calendarListView(pages, deps);
  const calendarView = calendarPageView(pages, deps);
  pages.page('/admin/calendars', listView);
  pages.action('/admin/calendars', {
    form: 'new-calendar',
    route: ['put', '/api/v1/calendars/:id'],
    params: (page) => ({ id: String((page.req.body as Record<string, unknown>).id ?? '').trim() }),
    done: (result) => calendarHref((result.body as BusinessCalendar).id),
    view: listView,
  });
  pages.page('/admin/calendars/:id', calendarView);
  pages.action('/admin/calendars/:id', {
    form: 'calendar',
    route: ['put', '/api/v1/calendars/:id'],
    done: (_result, page) => href(calendarHref(page.params.id), { year: page.query.year }),
    view: calendarView,
  });
}

function calendarListView(pages: ConsolePages, deps: ApiDeps) {
  return async (page: PageRequest, failure?: FormFailure): Promise<View> => {
    const offset = /^\d{1,6}$/.test(page.query.offset ?? '') ? Number(page.query.offset) : 0;
    const list = await pages.api<{ calendars: CalendarSummary[]; total: number }>(page, 'get', '/api/v1/calendars', {
      query: { offset: String(offset), limit: String(CALENDAR_PAGE_SIZE) },
    });
    return {
      view: 'admin/calendars',
      title: page.t('admin.calendars.title'),
      data: {
        tabs: adminTabs(pages, deps, page, 'calendars'),
        calendars: list.calendars.map((calendar) => ({
          ...calendar,
          href: calendarHref(calendar.id),
          weekend: calendar.weekendDays.map((day) => weekdayName(day, page.locale)).join(' '),
        })),
        total: list.total,
        previousHref: offset > 0 ? `/admin/calendars?offset=${Math.max(0, offset - CALENDAR_PAGE_SIZE)}` : undefined,
        nextHref:
          offset + CALENDAR_PAGE_SIZE < list.total
            ? `/admin/calendars?offset=${offset + CALENDAR_PAGE_SIZE}`
            : undefined,
        canCreate: pages.can(page, 'put', '/api/v1/calendars/:id'),
        failure: failureFor(failure, 'new-calendar'),
      },
    };
  };
}

function calendarPageView(pages: ConsolePages, deps: ApiDeps) {
  return async (page: PageRequest, failure?: FormFailure): Promise<View> => {
    const calendar = await pages.api<BusinessCalendar>(page, 'get', '/api/v1/calendars/:id', {
      params: { id: page.params.id },
    });
    const year = yearOf(page.query.year, deps.defaultTimeZone);
    const refused = failureFor(failure, 'calendar');
    return {
      view: 'admin/calendar',
      title: calendar.name,
      data: {
        tabs: adminTabs(pages, deps, page, 'calendars'),
        calendar,
        year,
        previousYearHref: `${calendarHref(calendar.id)}?year=${year - 1}`,
        nextYearHref: `${calendarHref(calendar.id)}?year=${year + 1}`,
        weekdays: WEEK.map((day) => weekdayName(day, page.locale)),
        months: yearGrid(calendar, year, page.locale),
        canEdit: pages.can(page, 'put', '/api/v1/calendars/:id'),
        editor: calendarEditor(calendar, page.locale, refused),
        action: href(calendarHref(calendar.id), { year: page.query.year }),
        failure: refused,
      },
    };
  };
}

function yearOf(text: string | undefined, timeZone: string): number {
  const year = Number(text);
  if (text && /^\d{4}$/.test(text) && year >= 1900 && year <= 2999) return year;
  return Number(localDateOf(Date.now(), timeZone).slice(0, 4));
}

/** Weeks start on Monday, as Chinese calendars print them. */
const WEEK = [1, 2, 3, 4, 5, 6, 0];

/** The short name of a day of the week (0 = Sunday): 2026-01-05 was a Monday, 2026-01-11 a Sunday. */
function weekdayName(day: number, locale: Locale): string {
  const date = Date.UTC(2026, 0, 4 + (day === 0 ? 7 : day));
  return new Intl.DateTimeFormat(locale, { weekday: 'short', timeZone: 'UTC' }).format(date);
}

type DayKind = 'holiday' | 'makeup' | 'weekend' | 'workday';

/** Twelve month grids of a year, each day marked as the calendar has it (a make-up day wins over the weekend). */
function yearGrid(calendar: BusinessCalendar, year: number, locale: Locale) {
  const holidays = new Map(calendar.holidays.map((day) => [day.date, day.name]));
  const makeUp = new Map(calendar.makeUpWorkdays.map((day) => [day.date, day.name]));
  const monthName = new Intl.DateTimeFormat(locale, { month: 'long', timeZone: 'UTC' });
  return Array.from({ length: 12 }, (_, month) => {
    const first = new Date(Date.UTC(year, month, 1));
    const length = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    const blanks = WEEK.indexOf(first.getUTCDay());
    const days = Array.from({ length }, (_, index) => {
      const date = `${year}-${String(month + 1).padStart(2, '0')}-${String(index + 1).padStart(2, '0')}`;
      const weekday = new Date(Date.UTC(year, month, index + 1)).getUTCDay();
      const kind: DayKind = makeUp.has(date)
        ? 'makeup'
        : holidays.has(date)
          ? 'holiday'
          : calendar.weekendDays.includes(weekday)
            ? 'weekend'
            : 'workday';
      return { day: index + 1, iso: date, kind, name: makeUp.get(date) ?? holidays.get(date) };
    });
    return { name: monthName.format(first), blanks: Array.from({ length: blanks }), days };
  });
}

/** The editor's day rows: the calendar's, or what was typed when it was refused (blank rows left out, as the API got them). */
function dayRows(days: CalendarDay[], list: string, failure: FormFailure | undefined) {
  const rows = failure ? typedRows(failure.values, list) : days.map((day) => ({ date: day.date, name: day.name }));
  const all = [...rows, ...Array.from({ length: SPARE_DAY_ROWS }, () => ({ date: '', name: '' }))];
  return all.map((row, index) => {
    const at = `${list}.${index}`;
    return {
      dateName: `${at}.date`,
      nameName: `${at}.name`,
      dateValue: row.date,
      name: row.name,
      errors: (failure?.reasons ?? []).filter(
        (reason) => reason.field !== undefined && (reason.field === at || reason.field.startsWith(`${at}.`)),
      ),
    };
  });
}

/** Rows "list.N.date" / "list.N.name" in index order, those left blank dropped: the order the API numbered them in. */
function typedRows(values: FormValues, list: string): { date: string; name: string }[] {
  const rows = new Map<number, { date: string; name: string }>();
  for (const [field, value] of Object.entries(values)) {
    const match = new RegExp(`^${list}\\.(\\d+)\\.(date|name)$`).exec(field);
    if (!match) continue;
    const row = rows.get(Number(match[1])) ?? { date: '', name: '' };
    row[match[2] as 'date' | 'name'] = value;
    rows.set(Number(match[1]), row);
  }
  return [...rows.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, row]) => row)
    .filter((row) => row.date.trim() !== '' || row.name.trim() !== '');
}

function calendarEditor(calendar: BusinessCalendar, locale: Locale, failure: FormFailure | undefined) {
  const weekend = failure
    ? WEEK.filter((day) => failure.values[`weekendDays.${day}`] !== undefined)
    : calendar.weekendDays;
  return {
    name: failure ? (failure.values.name ?? '') : calendar.name,
    weekendDays: WEEK.map((day) => ({
      fieldName: `weekendDays.${day}`,
      value: day,
      label: weekdayName(day, locale),
      checked: weekend.includes(day),
    })),
    holidays: dayRows(calendar.holidays, 'holidays', failure),
    makeUpWorkdays: dayRows(calendar.makeUpWorkdays, 'makeUpWorkdays', failure),
  };
}

// --------------------------------------------------------------------------------------------- mailbox

interface Mail {
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  text: string | null;
  html: string | null;
  receivedAt: string;
}

const MAILBOX_PAGE_SIZE = 20;

function registerMailbox(pages: ConsolePages, deps: ApiDeps): void {
  pages.page('/admin/mailbox', async (page) => {
    const to = page.query.to?.trim() || undefined;
    const offset = /^\d{1,4}$/.test(page.query.offset ?? '') ? Number(page.query.offset) : 0;
    // The mailbox route answers its newest 500 messages, filtered by recipient in SQL; this pages through them.
    const mails = await pages.api<Mail[]>(page, 'get', '/api/v1/mailbox', { query: { to } });
    const shown = mails.slice(offset, offset + MAILBOX_PAGE_SIZE);
    return {
      view: 'admin/mailbox',
      title: page.t('admin.mailbox.title'),
      data: {
        tabs: adminTabs(pages, deps, page, 'mailbox'),
        to,
        count: mails.length,
        mails: shown.map((mail, index) => ({
          ...mail,
          document: mail.html === null ? null : withChineseFont(mail.html),
          open: index === 0,
        })),
        previousHref:
          offset > 0 ? href('/admin/mailbox', { to, offset: Math.max(0, offset - MAILBOX_PAGE_SIZE) }) : undefined,
        nextHref:
          offset + MAILBOX_PAGE_SIZE < mails.length
            ? href('/admin/mailbox', { to, offset: offset + MAILBOX_PAGE_SIZE })
            : undefined,
      },
    };
  });
}
