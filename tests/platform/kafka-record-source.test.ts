import { describe, expect, it } from 'vitest';
import { consumerGroupLag, disallowedBrokers, unpinnedPartitions } from '../../src/platform/kafka-record-source.js';
import { loadConfig } from '../../src/platform/config.js';

// Consuming is tested end to end in tests/api/streams-kafka.test.ts (against librdkafka's mock cluster).
describe('Kafka sources of data streams (the parts that need no broker)', () => {
  it('allows only the configured brokers, case-insensitively', () => {
    expect(disallowedBrokers(['kafka-1:9092', 'KAFKA-2:9092'], ['kafka-1:9092', 'kafka-2:9092'])).toEqual([]);
    expect(disallowedBrokers(['kafka-1:9092', '169.254.169.254:80'], ['kafka-1:9092'])).toEqual(['169.254.169.254:80']);
  });

  it('computes group lag per partition from watermarks and committed offsets (-1: nothing committed)', () => {
    const watermarks = [
      { partition: 0, low: '0', high: '100' },
      { partition: 1, low: '20', high: '50' },
      { partition: 2, low: '0', high: '7' },
    ];
    // 100 − 90 = 10; nothing committed on 1: 50 − 20 = 30; 7 − 7 = 0.
    expect(consumerGroupLag(watermarks, [{ partition: 0, offset: '90' }, { partition: 1, offset: '-1' }, { partition: 2, offset: '7' }])).toBe(40);
  });

  it('pins at their end only the partitions the group has no committed offset for', () => {
    const watermarks = [
      { partition: 0, high: '100' },
      { partition: 1, high: '50' },
      { partition: 2, high: '7' },
    ];
    expect(unpinnedPartitions(watermarks, [{ partition: 0, offset: '90' }, { partition: 1, offset: '-1' }])).toEqual([
      { partition: 1, offset: '50' },
      { partition: 2, offset: '7' },
    ]);
  });

  it('reads RAIA_KAFKA_BROKERS as a list of host:port pairs', () => {
    expect(loadConfig({ RAIA_KAFKA_BROKERS: ' kafka-1:9092, kafka-2:9093 ' }).RAIA_KAFKA_BROKERS).toEqual(['kafka-1:9092', 'kafka-2:9093']);
    expect(loadConfig({}).RAIA_KAFKA_BROKERS).toEqual([]);
    expect(() => loadConfig({ RAIA_KAFKA_BROKERS: 'http://kafka' })).toThrow(/RAIA_KAFKA_BROKERS/);
  });
});
