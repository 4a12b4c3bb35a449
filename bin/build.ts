/**
 * Bundles the workflows once, for production workers: `npm run build` writes .build/workflow-bundle.js
 * (or the path given), and a worker started with WORKFLOW_BUNDLE_PATH pointing at it loads that file
 * instead of bundling the workflow code at every start.
 *   npm run build [-- --out <file>]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeWorkflowBundle } from '../stack/processes';
import { PROJECT_ROOT } from '../stack/temporal-binaries';

export const DEFAULT_BUNDLE_PATH = path.join(PROJECT_ROOT, '.build', 'workflow-bundle.js');

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const file = path.resolve(values.out ?? DEFAULT_BUNDLE_PATH);
  const started = performance.now();
  const { bytes } = await writeWorkflowBundle(file);
  console.log(
    `workflow bundle: ${file} (${(bytes / 1024).toFixed(0)} KiB, ${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  console.log(`start workers with WORKFLOW_BUNDLE_PATH=${file}`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
