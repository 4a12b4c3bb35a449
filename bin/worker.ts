/** A stateless Temporal worker process; run as many as the load needs. */
import { temporalConnectionSettings } from '../config/temporal';
import { connect } from '../db/connect';
import type { SendTime } from '../domain/collection';
import { connectClient, connectWorker, createWorker } from '../stack/processes';
import { ensureSchedules } from '../stack/schedules';
import { productionConfig } from './production';

async function main(): Promise<void> {
  const config = productionConfig(['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SMTP_URL']);
  const db = connect(config.DATABASE_URL);
  const connection = await connectWorker(temporalConnectionSettings(config, config.TEMPORAL_ADDRESS));
  const worker = await createWorker(connection, {
    db, smtpUrl: config.SMTP_URL, mailFrom: config.MAIL_FROM, companyName: config.COMPANY_NAME,
    sendTime: config.LETTER_SEND_TIME as SendTime, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE,
  });
  const client = await connectClient(temporalConnectionSettings(config, config.TEMPORAL_ADDRESS), config.TEMPORAL_NAMESPACE);
  await ensureSchedules(client, config.TEMPORAL_TASK_QUEUE);
  await client.connection.close();
  // The SDK drains the worker on SIGINT/SIGTERM; run() returns once it has stopped.
  await worker.run();
  await connection.close();
  await db.destroy();
}

main().catch((error) => { console.error(error); process.exit(1); });
