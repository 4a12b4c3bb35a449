import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { PlannedDates, StageWait, StageWaitPlan, StageWaitRequest } from '../domain/stage-policy';

const activities = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Planning only reads: done inside the workflow task, so no second task queues behind the next transition. */
const localActivities = proxyLocalActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Something the contract waits for now: its stage's work, or a ready milestone's invoice. */
export interface OpenWait {
  /** Unique in the contract's life: the stage entry or the milestone. */
  key: string;
  wait: StageWait;
  began: string;
  milestoneSeq?: number;
}

interface TrackedWait extends OpenWait {
  plan: StageWaitPlan;
  /** The highest level already fired. */
  fired: number;
}

/**
 * The contract's stage deadlines: each open wait is planned once (by an activity that reads the stage
 * policy and the customer's calendar), its levels fire one by one, and a wait the contract has left is
 * dropped with its pending levels. The workflow sleeps until `nextAt()`, one timer for all of them.
 */
export class StageDeadlines {
  private readonly waits = new Map<string, TrackedWait>();

  /** `plansLocally` is false for contracts whose history planned by an activity (before the local planning). */
  constructor(
    private readonly contractNo: string,
    private readonly plansLocally: boolean,
  ) {}

  /** `openWaits` is asked again before each level fires: an update may move the stage while an activity runs. */
  async refresh(openWaits: () => OpenWait[], planned: PlannedDates, now: number): Promise<void> {
    const open = openWaits();
    for (const key of [...this.waits.keys()]) if (!open.some((w) => w.key === key)) this.waits.delete(key);
    for (const wait of open) {
      if (this.waits.has(wait.key)) continue;
      const planner = this.plansLocally ? localActivities : activities;
      this.adopt(wait, await planner.planStageWait(this.requestFor(wait, planned)), now);
    }
    for (const wait of this.waits.values()) await this.fireDue(wait, now, openWaits);
  }

  /** The open waits not planned yet, as planning requests: a transition plans them with its record. */
  unplanned(open: OpenWait[], planned: PlannedDates): { wait: OpenWait; request: StageWaitRequest }[] {
    return open
      .filter((wait) => !this.waits.has(wait.key))
      .map((wait) => ({ wait, request: this.requestFor(wait, planned) }));
  }

  /** Tracks a wait planned elsewhere (by `refresh` or with a transition's record). */
  adopt(wait: OpenWait, plan: StageWaitPlan, now: number): void {
    // Levels already past when the wait is planned (a late planned date) fire as one: the latest of them.
    const past = plan.levels.filter((level) => level.at <= now);
    this.waits.set(wait.key, { ...wait, plan, fired: past.length > 1 ? past[past.length - 2].level : 0 });
  }

  private requestFor(wait: OpenWait, planned: PlannedDates): StageWaitRequest {
    return { contractNo: this.contractNo, wait: wait.wait, began: wait.began, planned };
  }

  private async fireDue(wait: TrackedWait, now: number, openWaits: () => OpenWait[]): Promise<void> {
    for (const level of wait.plan.levels) {
      if (level.level <= wait.fired || level.at > now) continue;
      if (!openWaits().some((w) => w.key === wait.key)) return;
      await activities.escalateStageWait({
        contractNo: this.contractNo,
        wait: wait.wait,
        waitKey: wait.key,
        owner: wait.plan.owner,
        level: level.level,
        to: level.to,
        milestoneSeq: wait.milestoneSeq,
        isStageWait: wait.milestoneSeq === undefined,
        at: now,
      });
      wait.fired = level.level;
    }
  }

  /** When the next level of any open wait fires. */
  nextAt(): number | undefined {
    const next = [...this.waits.values()].flatMap((w) => w.plan.levels.filter((l) => l.level > w.fired).slice(0, 1));
    return next.length > 0 ? Math.min(...next.map((l) => l.at)) : undefined;
  }
}
