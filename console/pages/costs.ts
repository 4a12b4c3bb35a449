import type { ApiDeps } from '../../api/deps';
import { COST_CATEGORIES } from '../../domain/costs';
import { localDateOf } from '../../domain/dates';
import type { contractCostsView } from '../../read-models/costs';
import type { FormFailure } from '../forms';
import type { ConsolePages, PageRequest, ViewFn } from '../pages';

/**
 * The contract page's four calculations (概算/预算/核算/决算): estimate, budget, actual costs with their
 * variances, the cost entries with the forms to record and reverse one (for the roles the API lets),
 * and the final account once the contract closed. Everything comes from GET /api/v1/contracts/:no/costs.
 */

type Costs = Awaited<ReturnType<typeof contractCostsView>>;
type Money = { value: string; currency: string };

const COSTS_API = '/api/v1/contracts/:no/costs';
const REVERSE_API = '/api/v1/contracts/:no/costs/:id/reverse';
export const COST_FORMS = ['cost', 'reverseCost'] as const;

/** Positive is over plan: shown as a warning; at or under plan as fine. */
const badgeOf = (money: Money | null) =>
  money === null ? '' : money.value.startsWith('-') || /^0(\.0+)?$/.test(money.value) ? 'ok' : 'danger';
/** Margins: below plan is the warning. */
const marginBadgeOf = (money: Money | null) => (money === null ? '' : money.value.startsWith('-') ? 'danger' : 'ok');

export async function costsSection(
  pages: ConsolePages,
  deps: ApiDeps,
  page: PageRequest,
  contract: { no: string },
  failure?: FormFailure,
) {
  const costs = await pages.api<Costs>(page, 'get', COSTS_API, { params: { no: contract.no } });
  const { t } = page;
  const canRecord = costs.recording.open && pages.can(page, 'post', COSTS_API);
  const canReverse = costs.recording.open && pages.can(page, 'post', REVERSE_API);
  const costFailure = failure?.form === 'cost' ? failure : undefined;
  const reverseFailure = failure?.form === 'reverseCost' ? failure : undefined;
  const today = localDateOf(Date.now(), deps.defaultTimeZone);
  const values = costFailure?.values ?? { entryDate: today };
  const reverseShown =
    reverseFailure !== undefined &&
    canReverse &&
    costs.entries.some((e) => String(e.id) === reverseFailure.values._id && e.reversed === null);
  return {
    ...costs,
    // A refused cost form that is no longer shown (the contract closed meanwhile): its reasons above the section.
    refused: (costFailure && !canRecord ? costFailure : undefined) ?? (reverseShown ? undefined : reverseFailure),
    badges: {
      actualVsBudget: badgeOf(costs.variances.actualVsBudget),
      actualVsEstimate: badgeOf(costs.variances.actualVsEstimate),
    },
    entries: costs.entries.map((entry) => ({
      ...entry,
      categoryText: t(`costs.category.${entry.category}`),
      reverse:
        canReverse && entry.reversed === null
          ? {
              path: `/contracts/${encodeURIComponent(contract.no)}/costs/${entry.id}/reverse`,
              failure: reverseFailure?.values._id === String(entry.id) ? reverseFailure : undefined,
            }
          : undefined,
    })),
    byCategory: costs.byCategory.map((c) => ({ ...c, categoryText: t(`costs.category.${c.category}`) })),
    final: costs.finalAccount
      ? {
          ...costs.finalAccount,
          marginBadge: marginBadgeOf(costs.finalAccount.marginVsBudget),
          estimateBadge: marginBadgeOf(costs.finalAccount.marginVsEstimate),
        }
      : undefined,
    form: canRecord
      ? {
          path: `/contracts/${encodeURIComponent(contract.no)}/costs`,
          failure: costFailure,
          values,
          categories: COST_CATEGORIES.map((category) => ({
            value: category,
            label: t(`costs.category.${category}`),
            selected: category === values.category,
          })),
        }
      : undefined,
  };
}

/** The cost forms of the contract page: each calls its API route; a refusal shows the contract page again. */
export function registerCostForms(pages: ConsolePages, view: ViewFn): void {
  const back = (page: PageRequest) => `/contracts/${encodeURIComponent(page.params.no)}#costs`;
  pages.action('/contracts/:no/costs', {
    form: 'cost',
    route: ['post', COSTS_API],
    done: (_result, page) => back(page),
    view,
  });
  pages.action('/contracts/:no/costs/:id/reverse', {
    form: 'reverseCost',
    route: ['post', REVERSE_API],
    done: (_result, page) => back(page),
    view,
  });
}
