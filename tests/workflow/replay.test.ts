/**
 * Replays recorded histories against today's workflow code: a change that is not deterministic
 * (and not guarded by patching) fails here before it can break running contracts.
 * The histories are refreshed by running tests/workflow/contract.test.ts and collection-pauses.test.ts with RECORD_HISTORIES=1.
 */
import fs from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';

const HISTORY_DIR = path.resolve(__dirname, '..', 'histories');
const histories = fs.readdirSync(HISTORY_DIR).filter((file) => file.endsWith('.json'));

describe('replay of recorded workflow histories', () => {
  it('has recorded histories of a contract, the ladder, a dispute, promises, a write-off and a reopened invoice', () => {
    expect(histories.some((file) => file.startsWith('contract-'))).toBe(true);
    for (const name of [
      'invoice-dispute.json',
      'invoice-promises.json',
      'invoice-write-off.json',
      'invoice-reopened.json',
    ])
      expect(histories).toContain(name);
  });

  for (const file of histories) {
    it(`replays ${file} without nondeterminism`, async () => {
      const history = historyFromJSON(JSON.parse(fs.readFileSync(path.join(HISTORY_DIR, file), 'utf8')));
      expect(history.events?.length).toBeGreaterThan(5);
      await Worker.runReplayHistory(
        { workflowBundle: { codePath: inject('workflowBundlePath') } },
        history,
        file.replace('.json', ''),
      );
    });
  }
});
