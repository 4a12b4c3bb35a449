import { NativeConnection, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import type { Db } from '../../db/connect';
import type { SendTime } from '../../domain/collection';
import { createWorker } from '../../stack/processes';

export const MAIL_FROM = 'Huikuan AR <ar@huikuan.test>';

/** A real worker with the real activities, running the bundle the global setup built. */
export function testWorker(
  connection: NativeConnection,
  db: Db,
  smtpUrl: string,
  taskQueue: string,
  sendTime: SendTime = '09:30',
  namespace = 'default',
): Promise<Worker> {
  return createWorker(connection, {
    db,
    smtpUrl,
    mailFrom: MAIL_FROM,
    companyName: 'Huikuan Test Co.',
    sendTime,
    namespace,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
}
