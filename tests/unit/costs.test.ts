import { describe, expect, it } from 'vitest';
import { COST_STAGES, calculations, costStageRefusal, finalAccountFigures } from '../../domain/costs';
import { STAGES } from '../../domain/stages';

describe('the four calculations', () => {
  it('records costs from the approved budget until close, and says why not otherwise', () => {
    expect(STAGES.filter((stage) => costStageRefusal('K', stage) === undefined)).toEqual(COST_STAGES);
    expect(costStageRefusal('K', 'Budget')?.code).toBe('budget_not_approved');
    expect(costStageRefusal('K', 'Budget')?.message).toContain('until the contract closes');
    expect(costStageRefusal('K', 'Closed')?.code).toBe('final_account_frozen');
    expect(costStageRefusal('K', 'Cancelled')?.code).toBe('contract_cancelled');
  });

  it('gives variances as actual − planned, null without a plan', () => {
    expect(calculations(6_000_000, 6_500_000, 7_000_000)).toEqual({
      estimateMinor: 6_000_000,
      budgetMinor: 6_500_000,
      actualsMinor: 7_000_000,
      actualVsBudgetMinor: 500_000,
      actualVsEstimateMinor: 1_000_000,
      budgetUsed: 7_000_000 / 6_500_000,
    });
    expect(calculations(null, null, 100)).toMatchObject({
      actualVsBudgetMinor: null,
      actualVsEstimateMinor: null,
      budgetUsed: null,
    });
  });

  it('works out the final margin against the estimate and the budget', () => {
    // Contract 100,000.00; estimate 60,000.00, budget 65,000.00; 90,000.00 collected, 10,000.00 written
    // off, 280.00 interest collected, 61,000.00 of costs: margin 29,280.00.
    const figures = finalAccountFigures({
      contractAmountMinor: 10_000_000,
      estimateMinor: 6_000_000,
      budgetMinor: 6_500_000,
      invoicedMinor: 10_000_000,
      creditedMinor: 0,
      collectedMinor: 9_000_000,
      writtenOffMinor: 1_000_000,
      interestCollectedMinor: 28_000,
      costsMinor: 6_100_000,
    });
    expect(figures).toMatchObject({
      marginMinor: 2_928_000,
      estimatedMarginMinor: 4_000_000,
      budgetedMarginMinor: 3_500_000,
      marginVsEstimateMinor: -1_072_000,
      marginVsBudgetMinor: -572_000,
      costVsEstimateMinor: 100_000,
      costVsBudgetMinor: -400_000,
    });
    expect(finalAccountFigures({ ...figures, estimateMinor: null, budgetMinor: null })).toMatchObject({
      marginVsEstimateMinor: null,
      marginVsBudgetMinor: null,
      costVsBudgetMinor: null,
    });
  });
});
