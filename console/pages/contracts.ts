import type { ApiDeps } from '../../api/deps';
import { PAYMENT_TERMS_TYPES } from '../../domain/contract-rules';
import { refuse } from '../../domain/refusal';
import { SUPPORTED_CURRENCIES } from '../../domain/money';
import { type Stage, STAGES } from '../../domain/stages';
import type { ContractListItem, ContractListPage } from '../../read-models/contracts';
import type { FormFailure } from '../forms';
import type { ConsolePages, PageRequest, View } from '../pages';
import { href } from '../links';

const LIST_API = '/api/v1/contracts';

/** The list's search and filters, as the API takes them (several stages are one comma-separated value). */
const FILTER_NAMES = ['q', 'stage', 'owner', 'department', 'customer'] as const;
type Filters = Partial<Record<(typeof FILTER_NAMES)[number], string>>;

/** The board shows the stages where work is pending; closed and cancelled contracts are reached from the list. */
const BOARD_STAGES: readonly Stage[] = STAGES.filter((stage) => stage !== 'Closed' && stage !== 'Cancelled');
const CARDS_PER_COLUMN = 8;

/**
 * Days in a stage after which a contract counts as stuck on the board: the paperwork stages should take
 * days, delivery and collection take months. A judgement of the console, not a rule of the workflow.
 */
const STUCK_AFTER_DAYS: Partial<Record<Stage, number>> = {
  Opportunity: 30,
  SolutionReview: 14,
  ContractReview: 14,
  Split: 7,
  Budget: 7,
  Handover: 7,
  Delivery: 90,
  Acceptance: 30,
  Collection: 120,
};

const isStuck = (contract: ContractListItem) => contract.daysInStage > (STUCK_AFTER_DAYS[contract.stage] ?? Infinity);

/** A filter's text, trimmed; blank is no filter (several stages come comma-separated, as the API takes them). */
function queryText(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function filtersOf(page: PageRequest): Filters {
  return Object.fromEntries(
    FILTER_NAMES.map((name) => [name, queryText(page.query[name])]).filter(([, value]) => value !== undefined),
  ) as Filters;
}

const withStuck = (contract: ContractListItem) => ({ ...contract, stuck: isStuck(contract) });

/** The options of the stage filter; a comma-separated choice from a link gets an option of its own. */
function stageOptions(page: PageRequest, selected: string | undefined) {
  const options: { value: string; label: string; selected: boolean }[] = STAGES.map((stage) => ({
    value: stage,
    label: page.t(`stage.${stage}`),
    selected: stage === selected,
  }));
  if (selected?.includes(','))
    options.unshift({
      value: selected,
      label: selected
        .split(',')
        .map((stage) => page.t(`stage.${stage.trim()}`))
        .join(' + '),
      selected: true,
    });
  return options;
}

type SortColumn = 'no' | 'amount' | 'days' | 'createdAt';

/** Days in stage sort by the time the stage began: most days first is the oldest change first. */
const SORT_OF: Record<SortColumn, { key: string; ascendingFirst: boolean; inverted: boolean }> = {
  no: { key: 'no', ascendingFirst: true, inverted: false },
  amount: { key: 'amount', ascendingFirst: false, inverted: false },
  days: { key: 'stageChangedAt', ascendingFirst: true, inverted: true },
  createdAt: { key: 'createdAt', ascendingFirst: false, inverted: false },
};

/** Each sortable column's link (first click: its natural order, then the other way) and its arrow. */
function sortLinks(filters: Filters, sort: string) {
  const descending = sort.startsWith('-');
  const current = descending ? sort.slice(1) : sort;
  return Object.fromEntries(
    (Object.keys(SORT_OF) as SortColumn[]).map((column) => {
      const { key, ascendingFirst, inverted } = SORT_OF[column];
      const active = current === key;
      const nextDescending = active ? !descending : !ascendingFirst;
      // What the person sees: for days, ascending time is descending days.
      const shownDescending = inverted ? !descending : descending;
      return [
        column,
        {
          href: href('/contracts', { ...filters, sort: `${nextDescending ? '-' : ''}${key}` }),
          arrow: active ? (shownDescending ? '↓' : '↑') : '',
          ariaSort: active ? (shownDescending ? 'descending' : 'ascending') : 'none',
        },
      ];
    }),
  );
}

async function listView(pages: ConsolePages, page: PageRequest): Promise<View> {
  const filters = filtersOf(page);
  const sort = queryText(page.query.sort) ?? '-stageChangedAt';
  const cursor = queryText(page.query.cursor);
  const list = await pages.api<ContractListPage>(page, 'get', LIST_API, {
    query: { ...filters, sort, cursor },
  });
  return {
    view: 'contracts/list',
    title: page.t('contracts.title'),
    data: {
      filters,
      sort,
      stages: stageOptions(page, filters.stage),
      sortLinks: sortLinks(filters, sort),
      contracts: list.contracts.map(withStuck),
      nextHref: list.next ? href('/contracts', { ...filters, sort, cursor: list.next }) : undefined,
      firstHref: cursor ? href('/contracts', { ...filters, sort }) : undefined,
      boardHref: href('/contracts/board', { ...filters, stage: undefined }),
      canRegister: pages.can(page, 'post', LIST_API),
    },
  };
}

/** One list call per stage, oldest change first (the stuck ones on top), a column's worth each. */
async function boardView(pages: ConsolePages, page: PageRequest): Promise<View> {
  const { stage: _stage, ...filters } = filtersOf(page);
  const sort = 'stageChangedAt';
  const columns = await Promise.all(
    BOARD_STAGES.map(async (stage) => {
      const list = await pages.api<ContractListPage>(page, 'get', LIST_API, {
        query: { ...filters, stage, sort, limit: String(CARDS_PER_COLUMN) },
      });
      return {
        stage,
        stuckAfterDays: STUCK_AFTER_DAYS[stage],
        cards: list.contracts.map(withStuck),
        moreHref: list.next ? href('/contracts', { ...filters, stage, sort }) : undefined,
      };
    }),
  );
  return {
    view: 'contracts/board',
    title: page.t('contracts.board.title'),
    data: {
      filters,
      columns,
      listHref: href('/contracts', filters),
      closedHref: href('/contracts', { ...filters, stage: 'Closed' }),
      cancelledHref: href('/contracts', { ...filters, stage: 'Cancelled' }),
      canRegister: pages.can(page, 'post', LIST_API),
    },
  };
}

const options = (values: readonly string[], selected: string | undefined, label: (value: string) => string) =>
  values.map((value) => ({ value, label: label(value), selected: value === selected }));

async function registerView(pages: ConsolePages, page: PageRequest, failure?: FormFailure): Promise<View> {
  if (!pages.can(page, 'post', LIST_API)) throw refuse('forbidden', page.t('contracts.new.notAllowed'));
  const values = failure?.values ?? { customerCode: queryText(page.query.customer) ?? '' };
  return {
    view: 'contracts/new',
    title: page.t('contracts.new.title'),
    data: {
      failure,
      values,
      currencies: options(SUPPORTED_CURRENCIES, values['amount.currency'] ?? 'CNY', (currency) => currency),
      termsTypes: options(PAYMENT_TERMS_TYPES, values.paymentTermsType, (type) => page.t(`contracts.terms.${type}`)),
    },
  };
}

/** Contracts: the list with search, filters, sorting and pages; the board by stage; registering an opportunity. */
export function registerContracts(pages: ConsolePages, _deps: ApiDeps): void {
  pages.page('/contracts', (page) => listView(pages, page));
  pages.page('/contracts/board', (page) => boardView(pages, page));
  pages.page('/contracts/new', (page) => registerView(pages, page));
  pages.action('/contracts/new', {
    form: 'register',
    route: ['post', LIST_API],
    done: (result) => `/contracts/${encodeURIComponent((result.body as { no: string }).no)}`,
    view: (page, failure) => registerView(pages, page, failure),
  });
}
