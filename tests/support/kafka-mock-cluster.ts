import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

/**
 * A Kafka cluster on loopback for tests: librdkafka's mock cluster (Confluent's implementation of
 * the Kafka protocol: produce, fetch, list offsets, consumer groups, offset commits), hosted by
 * Debian's `kcat` with `test.mock.num.brokers`. No Kafka broker can be installed on these
 * machines (not in Debian, no Docker); this one is a real protocol peer that is not our code, and
 * kafkajs talks to it over TCP exactly as to a broker. `.ci/run` installs kcat.
 */

export type KafkaMockCluster = { bootstrap: string; stop(): Promise<void> };

export const kcatAvailable = (): boolean => spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status === 0;

export async function startKafkaMockCluster(brokers = 1): Promise<KafkaMockCluster> {
  // kcat consumes a placeholder topic for as long as it runs; the mock cluster lives in its process.
  const child: ChildProcess = spawn('kcat', ['-C', '-q', '-b', '127.0.0.1:1', '-X', `test.mock.num.brokers=${brokers}`, '-t', 'raia-mock-anchor'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const bootstrap = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`kcat printed no mock cluster address: ${seen.slice(0, 500)}`)), 10_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`kcat exited (${code}) before the mock cluster started: ${seen.slice(0, 500)}`)));
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      // "%5|…|MOCK|…| Mock cluster enabled: original bootstrap.servers … replaced with 127.0.0.1:36179"
      const match = /replaced with (\S+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
  });
  child.stderr!.resume(); // keep draining its log so it never blocks on a full pipe
  return {
    bootstrap,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
