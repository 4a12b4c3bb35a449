/** Child process of the supervisor: the Temporal dev server, cleared of a crashed run's leftovers first. */
import path from 'node:path';
import { loadConfig } from '../config/env';
import { assertPortFree, clearTemporalLeftovers } from './leftovers';
import { FatalStartError, runServiceChild } from './service-child';
import { findTemporalCli } from './temporal-binaries';
import { startTemporalDevServer } from './temporal-dev-server';

void runServiceChild('temporal', async () => {
  const config = loadConfig();
  const cli = findTemporalCli();
  if (!cli) throw new FatalStartError('no Temporal CLI found: set TEMPORAL_CLI_PATH or TEMPORAL_ADDRESS');
  await clearTemporalLeftovers(path.join(config.dataDir, 'temporal.db'));
  for (const [port, setting] of [
    [config.TEMPORAL_DEV_PORT, 'TEMPORAL_DEV_PORT'],
    [config.TEMPORAL_UI_PORT, 'TEMPORAL_UI_PORT'],
  ] as const) {
    await assertPortFree(port, '127.0.0.1', setting).catch((error: Error) => {
      throw new FatalStartError(error.message);
    });
  }
  const server = await startTemporalDevServer(cli, config.dataDir, config.TEMPORAL_DEV_PORT, config.TEMPORAL_UI_PORT);
  return {
    ready: { address: server.address, uiUrl: server.uiUrl },
    exited: server.exited,
    stop: () => server.stop(3_000),
  };
});
