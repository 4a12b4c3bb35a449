/**
 * A worker process for the baselines, with the product worker's own tuning: it runs pingWorkflow and
 * touchWorkflow and tells its parent (IPC) how many pings it has run.
 */
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../../config/env';
import { workerTuning } from '../../stack/processes';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const config = loadConfig();
  const tuning = workerTuning(config);
  let pings = 0;
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS! });
  const worker = await Worker.create({
    connection,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowsPath: path.join(__dirname, 'trivial-workflows.ts'),
    activities: {
      ping: async () => {
        pings += 1;
      },
    },
    maxConcurrentActivityTaskExecutions: tuning.maxActivities,
    maxConcurrentWorkflowTaskExecutions: tuning.maxWorkflowTasks,
    maxCachedWorkflows: tuning.cachedWorkflows,
  });
  setInterval(() => process.send?.({ pings }), 100);
  process.on('disconnect', () => worker.shutdown());
  process.send?.({ ready: true });
  await worker.run();
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
