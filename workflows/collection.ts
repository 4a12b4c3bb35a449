import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { type LetterStep, type SendTime, decideNextLetter, letterSchedule } from '../domain/collection';
import type { MilestoneKind } from '../domain/contract-rules';

const { sendLetter } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '2 minutes',
  // SMTP outages are retried with back-off for as long as they last; the outbox keeps each send single.
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

export interface CollectionInput {
  invoiceNo: string;
  contractNo: string;
  dueDate: string;
  milestoneKind: MilestoneKind;
  timeZone: string;
  sendTime: SendTime;
  balanceMinor: number;
}

export interface CollectionStatus {
  invoiceNo: string;
  balanceMinor: number;
  lettersHandled: LetterStep[];
  nextLetterAt?: number;
}

/** Sent by the API after it allocated a payment to the invoice; carries the balance now left. */
export const paymentAppliedSignal = defineSignal<[{ balanceMinor: number }]>('paymentApplied');
export const collectionStatusQuery = defineQuery<CollectionStatus>('status');

/** Collects one invoice: the courtesy reminder, the due-date notice and the first overdue letter, until paid. */
export async function invoiceCollectionWorkflow(input: CollectionInput): Promise<{ invoiceNo: string; paidAt: number }> {
  let balanceMinor = input.balanceMinor;
  let handledThrough = -1;
  let nextLetterAt: number | undefined;
  const lettersHandled: LetterStep[] = [];
  const schedule = letterSchedule(input);

  setHandler(paymentAppliedSignal, ({ balanceMinor: left }) => { balanceMinor = left; });
  setHandler(collectionStatusQuery, () => ({ invoiceNo: input.invoiceNo, balanceMinor, lettersHandled, nextLetterAt }));

  while (balanceMinor > 0) {
    const decision = decideNextLetter(schedule, Date.now(), handledThrough);
    if (decision.kind === 'send') {
      const result = await sendLetter({
        invoiceNo: input.invoiceNo, step: decision.letter.step, occurrence: 1, scheduledFor: decision.letter.at,
        decidedAt: Date.now(), skippedSteps: decision.skipped.map((s) => s.step),
      });
      handledThrough = decision.index;
      lettersHandled.push(decision.letter.step);
      balanceMinor = Math.min(balanceMinor, result.balanceMinor);
      continue;
    }
    nextLetterAt = decision.kind === 'wait' ? decision.until : undefined;
    const timeout = nextLetterAt === undefined ? undefined : Math.max(nextLetterAt - Date.now(), 1);
    await condition(() => balanceMinor <= 0, timeout);
  }
  return { invoiceNo: input.invoiceNo, paidAt: Date.now() };
}
