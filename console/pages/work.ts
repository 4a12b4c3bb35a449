import type { ApiDeps } from '../../api/deps';
import type { FormFailure } from '../forms';
import type { ConsolePages, PageRequest, View } from '../pages';
import { WRITE_OFF_STEP } from '../../domain/collection-commands';
import type { TaskWording } from '../../domain/task-wording';
import { stepName, taskTitle } from '../task-titles';

interface Task {
  id: number;
  kind: string;
  step: string | null;
  invoiceNo: string | null;
  contractNo: string;
  ownerRole: string;
  ownerName: string | null;
  title: string;
  wording: TaskWording | null;
  dueAt: string;
  escalatedTo: string | null;
}

interface TaskCounts {
  total: number;
  overdue: number;
  byKind: { kind: string; count: number; overdue: number }[];
}

/** My work (home): the person's open tasks, overdue first, with done/skip, and the approvals waiting for them. */
export function registerWork(pages: ConsolePages, _deps: ApiDeps): void {
  const view = async (page: PageRequest, failure?: FormFailure): Promise<View> => {
    // The list shows the soonest 500; the counts are the database's, over every open task of the person.
    const [tasks, counted] = await Promise.all([
      pages.api<Task[]>(page, 'get', '/api/v1/tasks', { query: { mine: 'true' } }),
      pages.api<TaskCounts>(page, 'get', '/api/v1/tasks/counts', { query: { mine: 'true' } }),
    ]);
    const now = Date.now();
    const mayDecide = {
      step: pages.can(page, 'post', '/api/v1/invoices/:no/approvals'),
      writeOff: pages.can(page, 'post', '/api/v1/invoices/:no/write-off/decision'),
    };
    const rows = tasks.map((task) => ({
      ...task,
      // In the reader's language: by its wording, or (opened before tasks had one) a stage deadline by its kind.
      title:
        !task.wording && task.kind === 'stage_deadline' && task.step
          ? `${page.t('work.stageLate')}: ${page.t(`stageWait.${task.step}`)}`
          : taskTitle(task, page.locale),
      stepName:
        task.step === WRITE_OFF_STEP ? page.t('work.writeOffStep') : task.step && stepName(page.locale, task.step),
      overdue: new Date(task.dueAt).getTime() < now,
      writeOff: task.step === WRITE_OFF_STEP,
      mayDecide: task.step === WRITE_OFF_STEP ? mayDecide.writeOff : mayDecide.step,
      failure: failure?.form === `task-${task.id}` ? failure : undefined,
    }));
    const approvals = rows.filter((task) => task.kind === 'approval');
    const work = rows.filter((task) => task.kind !== 'approval');
    return {
      view: 'work',
      title: page.t('work.title'),
      data: {
        work,
        approvals,
        counts: counted.byKind.map(({ kind, count }) => ({ kind, count })),
        overdueCount: counted.overdue,
        canClose: pages.can(page, 'post', '/api/v1/tasks/:id/done'),
      },
    };
  };

  pages.page('/', view);
  pages.action('/tasks/:id/done', {
    form: 'task',
    route: ['post', '/api/v1/tasks/:id/done'],
    done: () => '/',
    view: (page, failure) => view(page, failure && { ...failure, form: `task-${page.params.id}` }),
  });
  pages.action('/tasks/:id/skip', {
    form: 'task',
    route: ['post', '/api/v1/tasks/:id/skip'],
    done: () => '/',
    view: (page, failure) => view(page, failure && { ...failure, form: `task-${page.params.id}` }),
  });
  pages.action('/invoices/:no/approvals', {
    form: 'approval',
    route: ['post', '/api/v1/invoices/:no/approvals'],
    done: () => '/',
    view: (page, failure) => view(page, failure && { ...failure, form: `task-${failure.values._task}` }),
  });
}
