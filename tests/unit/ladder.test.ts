import { describe, expect, it } from 'vitest';
import { addDays } from '../../domain/dates';
import {
  type LadderContext,
  type LadderState,
  decideLadder,
  emptyLadderState,
  escalateOneRung,
  ladderProgress,
  recordHandled,
} from '../../domain/ladder';
import { DEFAULT_POLICY } from '../../domain/policy';

const DUE = '2026-03-31';
/** 09:30 in Shanghai on a step's date, no working-day shift: enough to test the ladder alone. */
const at = (date: string) => Date.parse(`${date}T01:30:00Z`);
const day = (offset: number) => addDays(DUE, offset);
const ctx: LadderContext = { policy: DEFAULT_POLICY, milestoneKind: 'progress', dueDate: DUE, instantOf: at };
const names = (list: { step: { key: string }; occurrence: number }[]) =>
  list.map((o) => `${o.step.key}#${o.occurrence}`);

function handledThrough(entries: Record<string, number>): LadderState {
  return { ...emptyLadderState(), handled: entries };
}

describe('the escalation ladder (default policy)', () => {
  it('waits for the courtesy reminder, 3 days before due for a progress milestone', () => {
    const decision = decideLadder(ctx, emptyLadderState(), at(day(-10)));
    expect(decision.due).toEqual([]);
    expect(decision.nextAt).toBe(at('2026-03-28'));
  });

  it('sends each rung on its date when nothing was missed', () => {
    let state = emptyLadderState();
    const fired: string[] = [];
    for (const offset of [-3, 0, 1, 8, 10, 15, 20]) {
      const decision = decideLadder(ctx, state, at(day(offset)));
      expect(decision.skipped).toEqual([]);
      fired.push(...names(decision.due));
      state = recordHandled(state, decision.due);
    }
    // calls fall on days 1, 8, 15, 22…; formal reminders on 10, 20…
    expect(fired).toEqual([
      'pre_due#1',
      'due#1',
      'call_weekly#1',
      'overdue_1#1',
      'call_weekly#2',
      'formal_reminder#1',
      'call_weekly#3',
      'formal_reminder#2',
    ]);
  });

  it('starts an invoice entered 45 days overdue at the +30 step with one letter', () => {
    const decision = decideLadder(ctx, emptyLadderState(), at(day(45)));
    const letters = decision.due.filter((o) => o.step.channel !== 'task');
    expect(names(letters)).toEqual(['statement_30#1']);
    expect(names(decision.due).sort()).toEqual(['call_weekly#7', 'statement_30#1', 'visit_monthly#1']);
    expect(names(decision.skipped).sort()).toEqual([
      'call_weekly#1',
      'call_weekly#2',
      'call_weekly#3',
      'call_weekly#4',
      'call_weekly#5',
      'call_weekly#6',
      'due#1',
      'formal_reminder#1',
      'formal_reminder#2',
      'overdue_1#1',
      'pre_due#1',
    ]);
    // next: the weekly call on day 50 (1 + 7 × 7)
    expect(decision.nextAt).toBe(at(day(50)));
  });

  it('stops repeating the formal reminder once the statement (a higher letter rung) has gone out', () => {
    const state = handledThrough({
      pre_due: 1,
      due: 1,
      overdue_1: 1,
      call_weekly: 5,
      formal_reminder: 2,
      statement_30: 1,
      visit_monthly: 1,
    });
    // day 40 would be the 4th formal reminder (10, 20, 30, 40) but the statement went out on day 30
    const decision = decideLadder(ctx, state, at(day(41)));
    expect(names(decision.due)).toEqual(['call_weekly#6']);
    expect(decision.skipped).toEqual([]);
  });

  it('holds at the legal notice until finance approves, while tasks go on', () => {
    const before = handledThrough({
      pre_due: 1,
      due: 1,
      overdue_1: 1,
      call_weekly: 13,
      formal_reminder: 2,
      statement_30: 1,
      visit_monthly: 2,
      executive_60: 1,
    });
    const waiting = decideLadder(ctx, before, at(day(90)));
    expect(waiting.awaitingApproval?.step.key).toBe('legal_notice_90');
    expect(waiting.awaitingApproval?.at).toBe(at(day(90)));
    expect(names(waiting.due)).toEqual(['visit_monthly#3']);

    const approved = decideLadder(ctx, { ...before, approvals: { legal_notice_90: 'approved' } }, at(day(91)));
    expect(names(approved.due)).toEqual(['visit_monthly#3', 'legal_notice_90#1']);
    expect(approved.awaitingApproval).toBeUndefined();

    const rejectedState = {
      ...recordHandled(before, waiting.due),
      approvals: { legal_notice_90: 'rejected' as const },
    };
    const rejected = decideLadder(ctx, rejectedState, at(day(95)));
    // the legal notice stays held; the weekly call of day 92 still comes
    expect(names(rejected.due)).toEqual(['call_weekly#14']);
    expect(rejected.awaitingApproval).toBeUndefined();
    expect(rejected.nextAt).toBe(at(day(99)));
  });

  it('climbs one letter rung at once when a promise is broken', () => {
    const state = handledThrough({ pre_due: 1, due: 1, overdue_1: 1, call_weekly: 1 });
    const now = at(day(5)) + 3_600_000;
    const forced = escalateOneRung(ctx, state, now);
    expect(forced?.step.key).toBe('formal_reminder');
    expect(forced?.at).toBe(now);
    const after = recordHandled(state, [forced!]);
    // its natural date (+10) is then not sent again; the repeat on +20 is still due
    expect(names(decideLadder(ctx, after, at(day(10))).due)).toEqual(['call_weekly#2']);
    expect(names(decideLadder(ctx, after, at(day(20))).due)).toEqual(['call_weekly#3', 'formal_reminder#2']);
  });

  it('uses the offset for the milestone kind for the courtesy reminder', () => {
    for (const [kind, offset] of [
      ['advance', -7],
      ['final', -10],
      ['retention', -10],
    ] as const) {
      expect(decideLadder({ ...ctx, milestoneKind: kind }, emptyLadderState(), at(day(-30))).nextAt).toBe(
        at(day(offset)),
      );
    }
  });
});

describe("ladderProgress: an invoice's ladder as people read it", () => {
  const keys = DEFAULT_POLICY.steps.map((step) => step.key);
  const place = (progress: Partial<Parameters<typeof ladderProgress>[3]>) =>
    ladderProgress(DEFAULT_POLICY, 'progress', DUE, {
      handled: {},
      acted: new Set(),
      balanceMinor: 100,
      ...progress,
    }).map(({ step, state }) => `${step.key}:${state}`);

  it('dates each step from the due date in the order they fall due', () => {
    const rows = ladderProgress(DEFAULT_POLICY, 'progress', DUE, { handled: {}, acted: new Set(), balanceMinor: 1 });
    expect(rows[0].date).toBe('2026-03-28');
    expect(rows.map((row) => row.date)).toEqual([...rows.map((row) => row.date)].sort());
  });

  it('marks a step with a letter or task done, one passed over skipped, the first open one next', () => {
    const [first, second, third] = place({}).map((row) => row.split(':')[0]);
    expect(place({ handled: { [first]: 1, [second]: 1 }, acted: new Set([second]) }).slice(0, 4)).toEqual([
      `${first}:skipped`,
      `${second}:done`,
      `${third}:next`,
      expect.stringMatching(/:pending$/),
    ]);
  });

  it('says paused while a dispute or promise holds it, waiting on approval, and nothing next once paid', () => {
    const [first] = place({}).map((row) => row.split(':')[0]);
    expect(place({ pausedBy: 'dispute' })[0]).toBe(`${first}:paused`);
    expect(place({ awaitingApproval: first })[0]).toBe(`${first}:awaiting_approval`);
    expect(place({ balanceMinor: 0 }).every((row) => row.endsWith(':pending'))).toBe(true);
    expect(place({}).length).toBe(keys.length);
  });
});
