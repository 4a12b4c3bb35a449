/**
 * Starts the real parts every test file shares: an embedded PostgreSQL holding a migrated template
 * database, a Temporal dev server, and a prebuilt workflow bundle. The Temporal binaries come from
 * the same finder `npm start` uses, so a fresh machine provisions them itself.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { connect, migrateToLatest } from '../../db/connect';
import { startEmbeddedPostgres } from '../../stack/postgres';
import { writeWorkflowBundle } from '../../stack/processes';
import { findTemporalCli, findTestServer } from '../../stack/temporal-binaries';
import { startTemporalDevServer } from '../../stack/temporal-dev-server';
import { freePort } from '../../stack/ports';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    templateDatabase: string;
    temporalAddress: string;
    temporalCliPath: string;
    testServerPath: string;
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cli = findTemporalCli();
  const testServer = findTestServer();
  if (!cli || !testServer) throw new Error('Temporal CLI or test server not found (see stack/temporal-binaries.ts)');

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'huikuan-tests-'));
  // PostgreSQL runs as its own user when we are root, and must be able to reach its data folder.
  fs.chmodSync(workDir, 0o755);
  const postgres = await startEmbeddedPostgres(workDir, await freePort(), 'huikuan_template');
  const template = connect(postgres.url, 2);
  await migrateToLatest(template);
  await template.destroy();

  const temporal = await startTemporalDevServer(cli, workDir, await freePort(), await freePort());
  const bundlePath = path.join(workDir, 'workflow-bundle.js');
  await writeWorkflowBundle(bundlePath);

  project.provide('postgresAdminUrl', postgres.url.replace(/\/huikuan_template$/, '/postgres'));
  project.provide('templateDatabase', 'huikuan_template');
  project.provide('temporalAddress', temporal.address);
  project.provide('temporalCliPath', cli);
  project.provide('testServerPath', testServer);
  project.provide('workflowBundlePath', bundlePath);

  return async () => {
    await temporal.stop();
    await postgres.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  };
}
