import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BackgroundTasks } from '../../src/platform/background-tasks.js';

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('background tasks', () => {
  it('starts a task only after the caller has moved on, and drain waits for it and what it starts', async () => {
    const { logger } = capturedLogger();
    const tasks = new BackgroundTasks(logger);
    const done: string[] = [];
    tasks.start('outer', async () => {
      await new Promise((r) => setTimeout(r, 20));
      done.push('outer');
      tasks.start('inner', async () => void done.push('inner'));
    });
    expect(done).toEqual([]);
    await tasks.drain();
    expect(done).toEqual(['outer', 'inner']);
  });

  it('logs a failed task with its name instead of throwing, and goes on with the others', async () => {
    const { logger, lines } = capturedLogger();
    const tasks = new BackgroundTasks(logger);
    let ran = false;
    tasks.start('mail-reset', async () => {
      throw new Error('smtp down');
    });
    tasks.start('other', async () => void (ran = true));
    await tasks.drain();
    expect(ran).toBe(true);
    expect(lines).toEqual([expect.objectContaining({ level: 50, task: 'mail-reset', msg: 'background task failed', err: expect.objectContaining({ message: 'smtp down' }) })]);
  });
});
