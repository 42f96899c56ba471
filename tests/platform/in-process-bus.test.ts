import { describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../src/platform/in-process-bus.js';
import { describeMessageBusContract, eventually } from './message-bus-contract.js';

describeMessageBusContract('in-process', async () => {
  const bus = createInProcessBus();
  return { bus, subjectPrefix: 'raia.events', cleanup: () => bus.close() };
});

describe('in-process message bus', () => {
  it('keeps only the newest messages beyond its retention bound for durables created later', async () => {
    const bus = createInProcessBus({ retainMessages: 3 });
    for (let i = 1; i <= 5; i++) await bus.publish({ subject: 'raia.events.x', id: `m-${i}`, payload: '{}' });
    const ids: string[] = [];
    const consumer = await bus.consume({ durable: 'late', filterSubjects: ['raia.events.>'], handler: async (m) => void ids.push(m.id) });
    await eventually(() => expect(ids).toEqual(['m-3', 'm-4', 'm-5']));
    await consumer.stop();
    await bus.close();
  });

  it('forgets a message id once the duplicate window has passed', async () => {
    let now = 1_000_000;
    const bus = createInProcessBus({ duplicateWindowMs: 60_000, clock: () => now });
    const first = await bus.publish({ subject: 'raia.events.x', id: 'same', payload: '' });
    now += 59_999;
    expect(await bus.publish({ subject: 'raia.events.x', id: 'same', payload: '' })).toEqual({ duplicate: true, sequence: first.sequence });
    now += 2;
    expect(await bus.publish({ subject: 'raia.events.x', id: 'same', payload: '' })).toEqual({ duplicate: false, sequence: first.sequence + 1 });
    await bus.close();
  });

  it('refuses to publish once closed', async () => {
    const bus = createInProcessBus();
    await bus.close();
    await expect(bus.publish({ subject: 'raia.events.x', id: 'late', payload: '' })).rejects.toThrow(/closed/);
    expect((await bus.health()).connected).toBe(false);
  });
});
