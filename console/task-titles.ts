import { translate } from './i18n';
import { formatDate } from '../domain/dates';
import type { Locale } from '../domain/locales';
import { formatMoney } from '../domain/money';
import type { TaskWording } from '../domain/task-wording';

/**
 * A task's title in a language: worded from what it asks when it says so, else the title it was stored with
 * (also for a wording this version does not know, written by a newer one).
 */
export function taskTitle(task: { title: string; wording?: TaskWording | null }, locale: Locale): string {
  return (task.wording && (wordTask(task.wording, locale) as string | undefined)) || task.title;
}

/** What a task asks, in a language (console/locales/tasks.json); the English is also its stored title. */
export function wordTask(wording: TaskWording, locale: Locale): string {
  const t = (key: string, values: Record<string, unknown> = {}) => translate(locale, key, values);
  /** A code's label (a dispute reason, a contact role), the code itself when it has none. */
  const label = (prefix: string, code: string) => {
    const text = t(`${prefix}${code}`);
    return text === `${prefix}${code}` ? code : text;
  };
  switch (wording.key) {
    case 'dispute':
    case 'disputeEscalated':
    case 'portalDispute':
      return t(`task.${wording.key}`, { ...wording, reason: label('invoice.disputeReason.', wording.reason) });
    case 'writeOffApproval':
      return t('task.writeOffApproval', wording);
    case 'stepApproval':
      return t('task.stepApproval', { ...wording, step: stepName(locale, wording.step) });
    case 'stageDeadline':
      return t(wording.milestoneSeq === undefined ? 'task.stageDeadline' : 'task.stageDeadlineOfMilestone', {
        ...wording,
        wait: t(`task.stageWait.${wording.wait}`),
      });
    case 'contactMissing':
      return t('task.contactMissing', {
        ...wording,
        roles: wording.roles.map((role) => label('customers.contactRole.', role)).join(' / '),
        step: stepName(locale, wording.step),
      });
    case 'defaultStepTask':
      return t(`task.defaultStep.${wording.step}`);
    case 'portalPromise':
      return t('task.portalPromise', {
        ...wording,
        amount: formatMoney(wording.amountMinor, wording.currency, locale),
        promisedDate: formatDate(wording.promisedDate, locale),
      });
  }
}

/** A step of the default policy by its name in a language; another policy's step by its key. */
export function stepName(locale: Locale, step: string): string {
  const name = translate(locale, `invoice.step.${step}`);
  return name === `invoice.step.${step}` ? step : name;
}
