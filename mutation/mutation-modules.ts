/**
 * The folders under mutation testing (TESTING.md), each run on its own so that one folder's
 * run fits a 2-core machine. `testFiles` are the tests allowed to kill a folder's mutants:
 * its own unit tests plus the HTTP tests that exercise code only reachable through a server
 * (projections, access control). Within them Stryker runs, per mutant, only the tests that
 * covered it (vitest `related` and per-test coverage).
 */
/**
 * `staticMutants`: also test mutants of module-level code (tables, schemas). Each needs a fresh
 * test environment and every test of the folder (about a minute per mutant for src/events on
 * 2 cores), so only folders whose module-level code is the point (the permission table) do.
 */
export type MutationModule = { name: string; mutate: string[]; testFiles: string[]; staticMutants?: boolean };

const analyticsTests = ['tests/analytics/**/*.test.ts'];
// Stryker's testFiles takes no negated patterns: the tests are listed (all of tests/events but EventStoreDB's).
const eventsTests = [
  'tests/events/*.cases.test.ts',
  'tests/events/canonical-json.test.ts',
  'tests/events/event-catalogue.test.ts',
  'tests/events/event-disclosure.test.ts',
  'tests/events/hash-chain.test.ts',
  'tests/events/ledger-coordination.test.ts',
  'tests/events/ledger-csv-copy-pages.test.ts',
  'tests/events/ledger-integrity.test.ts',
  'tests/events/ledger-notify-channel.test.ts',
  'tests/events/ledger-seal.test.ts',
  'tests/events/ledger-verification.test.ts',
  'tests/events/ledger-view.test.ts',
  'tests/events/ledger-witness-file.test.ts',
  'tests/events/postgres-event-store.contract.test.ts',
  'tests/events/postgres-optimistic-append.test.ts',
  'tests/events/shared-page-reads.test.ts',
  'tests/api/personal-data-exposure.test.ts',
  'tests/processors/ledger-sealer.test.ts',
  // The PostgreSQL adapter's CSV copy of the ledger (ledger-csv-copy.ts, ledger-csv-record.ts) is read by the exports.
  'tests/processors/exports/csv-ledger-records.test.ts',
];

export const MUTATION_MODULES: MutationModule[] = [
  {
    name: 'access-control',
    mutate: ['src/api/permissions.ts', 'src/api/auth/access-control.ts'],
    testFiles: ['tests/api/access-control*.test.ts', 'tests/api/*permission*.test.ts', 'tests/api/api-keys.test.ts'],
    staticMutants: true,
  },
  // src/events in three runs (its ledger core, the Postgres adapter, the catalogue of schemas), so
  // each fits in a sitting. The EventStoreDB adapter is left out: its contract test needs an
  // EventStoreDB server, which neither CI nor this machine runs (every mutant: no coverage).
  ...[
    { name: 'events/core', mutate: ['src/events/*.ts'] },
    { name: 'events/postgres', mutate: ['src/events/postgres/**/*.ts'] },
    { name: 'events/catalogue', mutate: ['src/events/catalogue/**/*.ts'] },
  ].map((m) => ({ ...m, testFiles: eventsTests })),
  {
    name: 'projections',
    mutate: ['src/projections/**/*.ts'],
    testFiles: [
  'tests/projections/**/*.test.ts',
  'tests/api/model-registry.test.ts',
  'tests/api/datasets.test.ts',
  'tests/api/streams.test.ts',
  'tests/api/api-keys.test.ts',
  'tests/api/admin-users.test.ts',
  'tests/processors/ledger-sealer.test.ts',
    ],
  },
  {
    name: 'commands',
    mutate: ['src/commands/**/*.ts'],
    testFiles: [
  'tests/commands/**/*.test.ts',
  'tests/api/admin-users.test.ts',
  'tests/api/auth-flow.test.ts',
  'tests/api/account-enumeration.test.ts',
  'tests/api/ended-accounts.test.ts',
  'tests/api/model-registry.test.ts',
  'tests/api/datasets.test.ts',
  'tests/api/streams.test.ts',
    ],
  },
  ...['explain', 'fairness', 'drift', 'quality', 'performance', 'scoring', 'trees'].map((folder) => ({
    name: `analytics/${folder}`,
    // Embedded WebAssembly (`*-wasm.ts`, base64 assembled from a .wat) is data, not code to mutate.
    mutate: [`src/analytics/${folder}/**/*.ts`, '!src/analytics/**/*-wasm.ts'],
    testFiles: analyticsTests,
  })),
  { name: 'analytics/seeded-random', mutate: ['src/analytics/seeded-random.ts'], testFiles: analyticsTests },
];

/** Where a folder's incremental report lives: committed, so the next run re-tests only what changed. */
export const reportFileOf = (name: string) => `reports/mutation/${name.replace(/\//g, '-')}.json`;

/** `events` selects that folder; `analytics` every analytics folder; nothing selects all. */
export function selectModules(args: string[]): MutationModule[] {
  if (args.length === 0) return MUTATION_MODULES;
  const selected = MUTATION_MODULES.filter((m) => args.some((a) => m.name === a || m.name.startsWith(`${a}/`)));
  const unknown = args.filter((a) => !MUTATION_MODULES.some((m) => m.name === a || m.name.startsWith(`${a}/`)));
  if (unknown.length > 0) throw new Error(`unknown mutation folder(s): ${unknown.join(', ')}; known: ${MUTATION_MODULES.map((m) => m.name).join(', ')}`);
  return selected;
}
