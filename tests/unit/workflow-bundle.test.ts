/**
 * `npm run build` writes a workflow bundle a production worker loads instead of bundling at start-up:
 * the file it writes replays a recorded collection history, as the worker would run it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');

describe('npm run build', () => {
  it('writes a workflow bundle that replays a recorded history', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'huikuan-build-')), 'bundle.js');
    const built = spawnSync('npx', ['tsx', 'bin/build.ts', '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(built.status, built.stderr).toBe(0);
    expect(built.stdout).toContain(`WORKFLOW_BUNDLE_PATH=${out}`);
    expect(fs.statSync(out).size).toBeGreaterThan(100_000);
    const history = historyFromJSON(
      JSON.parse(fs.readFileSync(path.join(ROOT, 'tests', 'histories', 'invoice-dispute-steps-local.json'), 'utf8')),
    );
    await Worker.runReplayHistory({ workflowBundle: { codePath: out } }, history, 'invoice-dispute-steps-local');
  }, 120_000);
});
