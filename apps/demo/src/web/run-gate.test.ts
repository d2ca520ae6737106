import { describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../pipeline/types.js';
import { EventBatcher, RunGate } from './run-gate.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

/** A fake training loop: n steps, each awaiting the gate (as the pipeline awaits its `gate` option). */
async function loop(gate: RunGate, n: number, done: number[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    if (gate.signal.aborted) return;
    await gate.pass();
    done.push(i);
  }
}

describe('RunGate', () => {
  it('runs freely, pauses, steps one at a time, resumes', async () => {
    const gate = new RunGate(true);
    const done: number[] = [];
    const run = loop(gate, 10, done);
    await tick();
    expect(done).toEqual([]);
    gate.step();
    await tick();
    expect(done).toEqual([0]);
    gate.step();
    gate.step();
    await tick();
    expect(done).toEqual([0, 1, 2]);
    gate.resume();
    await run;
    expect(done.length).toBe(10);
  });

  it('stop releases a paused run and aborts the signal', async () => {
    const gate = new RunGate();
    const done: number[] = [];
    gate.pause();
    const run = loop(gate, 10, done);
    await tick();
    gate.stop();
    await run;
    expect(gate.signal.aborted).toBe(true);
    expect(done.length).toBeLessThanOrEqual(1);
  });

  it('step while running pauses after the next step', async () => {
    const gate = new RunGate();
    gate.step();
    expect(gate.isPaused).toBe(true);
  });
});

describe('EventBatcher', () => {
  it('batches steps, flushes stage changes at once, keeps the newest predictions', async () => {
    const batches: PipelineEvent[][] = [];
    const b = new EventBatcher((e) => batches.push(e), 20);
    const step = (i: number): PipelineEvent => ({
      type: 'step',
      stage: 'hybrid',
      step: i,
      loss: 1 / (i + 1),
      fraction: i / 10,
      phase: '',
    });
    const pred = (t: number): PipelineEvent => ({
      type: 'predictions',
      stage: 'hybrid',
      series: [{ trajectory: 0, t: [t], values: { r: [1] } }],
    });
    b.push(step(0));
    b.push(pred(0));
    b.push(step(1));
    b.push(pred(1));
    expect(batches).toEqual([]);
    await new Promise((r) => setTimeout(r, 40));
    expect(batches.length).toBe(1);
    expect(batches[0]?.map((e) => e.type)).toEqual(['step', 'step', 'predictions']);
    expect(batches[0]?.[2]).toEqual(pred(1));
    b.push(step(2));
    b.push({ type: 'stage-end', stage: 'hybrid', seconds: 1, loss: 0.1, stopReason: 'completed', message: '' });
    expect(batches.length).toBe(2);
    expect(batches[1]?.length).toBe(2);
  });
});
