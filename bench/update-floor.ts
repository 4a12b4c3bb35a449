/**
 * What each part of a contract transition's update costs in Temporal alone, on one embedded stack: the
 * trivial executeUpdate (touchWorkflow) beside the same update that also upserts a search attribute, moves
 * a timer, awaits a local activity that does nothing, or all three — the least a transition that keeps its
 * stage searchable, its deadline and its record can cost, without any of our code. Variants take turns in
 * rounds, so drift in the machine's load reaches each alike.
 *   npx tsx bench/update-floor.ts [--rounds 8] [--per-round 30]
 */
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { type TouchParts, touchPartsWorkflow, touchUpdate, touchWorkflow } from './support/trivial-workflows';
import { TRIVIAL_TASK_QUEUE, percentile, startBenchStack, machineLine, runBench } from './support/stack';

const NONE: TouchParts = { searchAttribute: false, timer: false, localActivity: false };
const VARIANTS: [string, TouchParts | undefined][] = [
  ['trivial update (touchWorkflow)', undefined],
  ['+ search attribute', { ...NONE, searchAttribute: true }],
  ['+ timer moved', { ...NONE, timer: true }],
  ['+ local activity (no-op)', { ...NONE, localActivity: true }],
  ['+ search attribute + timer', { ...NONE, searchAttribute: true, timer: true }],
  ['+ all three', { searchAttribute: true, timer: true, localActivity: true }],
];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rounds: { type: 'string', default: '8' }, 'per-round': { type: 'string', default: '30' } },
  });
  const rounds = Number(values.rounds);
  const perRound = Number(values['per-round']);
  const stack = await startBenchStack();
  try {
    const handles: WorkflowHandle[] = [];
    for (const [, parts] of VARIANTS) {
      const workflowId = `floor-${crypto.randomBytes(4).toString('hex')}`;
      handles.push(
        parts
          ? await stack.client.workflow.start(touchPartsWorkflow, {
              workflowId,
              taskQueue: TRIVIAL_TASK_QUEUE,
              args: [parts],
            })
          : await stack.client.workflow.start(touchWorkflow, { workflowId, taskQueue: TRIVIAL_TASK_QUEUE }),
      );
    }
    const latencies: number[][] = VARIANTS.map(() => []);
    // Round 0 warms every workflow (cached, its first update's task done) and is not counted.
    for (let round = 0; round <= rounds; round += 1) {
      for (const [index, handle] of handles.entries()) {
        for (let i = 0; i < perRound; i += 1) {
          const started = performance.now();
          await handle.executeUpdate(touchUpdate, { args: [1] });
          if (round > 0) latencies[index].push(performance.now() - started);
        }
      }
    }
    const p50s = latencies.map((list) =>
      percentile(
        [...list].sort((a, b) => a - b),
        50,
      ),
    );
    console.log('\n| update | p50 ms | p95 ms | over the trivial update, ms | n |\n|---|---:|---:|---:|---:|');
    for (const [index, [name]] of VARIANTS.entries()) {
      const sorted = [...latencies[index]].sort((a, b) => a - b);
      const extra = index === 0 ? '' : `+${(p50s[index] - p50s[0]).toFixed(1)}`;
      console.log(
        `| ${name} | ${p50s[index].toFixed(1)} | ${percentile(sorted, 95).toFixed(1)} | ${extra} | ${sorted.length} |`,
      );
    }
    console.log(`\n${machineLine()}`);
  } finally {
    await stack.stop();
  }
}

runBench(main);
