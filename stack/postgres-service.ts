/** Child process of the supervisor: the embedded PostgreSQL, cleared of a crashed run's leftovers first. */
import path from 'node:path';
import { loadConfig } from '../config/env';
import { assertPortFree, clearPostgresLeftovers, isAlive, stopProcesses } from './leftovers';
import { startEmbeddedPostgres } from './postgres';
import { FatalStartError, runServiceChild } from './service-child';

void runServiceChild('postgres', async () => {
  const config = loadConfig();
  const port = config.EMBEDDED_PG_PORT;
  await clearPostgresLeftovers(path.join(config.dataDir, 'postgres'));
  await assertPortFree(port, '127.0.0.1', 'EMBEDDED_PG_PORT').catch((error: Error) => {
    throw new FatalStartError(error.message);
  });
  const postgres = await startEmbeddedPostgres(config.dataDir, port);
  return {
    ready: { url: postgres.url },
    exited: postgres.exited,
    // A fast shutdown (SIGINT) takes well under a second; a stuck one is killed.
    stop: async () => {
      await Promise.race([postgres.stop(), postgres.exited]);
      if (isAlive(postgres.pid)) await stopProcesses([postgres.pid], 'SIGINT', 3_000);
    },
  };
});
