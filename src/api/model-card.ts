import { z } from 'zod';
import { artifactSchema, ASSESSMENT_KINDS, inputFeatureSchema } from '../events/catalogue/model.events.js';
import type { StoredEvent } from '../events/envelope.js';
import { discloseEvents } from '../events/event-disclosure.js';
import type { Runtime } from '../runtime.js';
import { assessmentEvents, assessmentEvidence } from './routes/model-assessments.js';
import { modelStreamId } from '../commands/model/model.decider.js';
import { streamEventsAt, type LedgerPoint } from '../projections/as-of/ledger-point.js';

const at = z.string().describe('When the event that recorded it occurred');

/** A model card as the API answers it (the ModelCard type below, as JSON). */
export const modelCardSchema = z
  .object({
    modelId: z.uuid(),
    name: z.string(),
    type: z.string(),
    ownerId: z.string(),
    riskTier: z.string(),
    intendedUse: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    status: z.enum(['active', 'deleted']),
    registeredAt: z.string(),
    deployedVersion: z.number().int().nullable(),
    versions: z.array(
      z.object({
        version: z.number().int(),
        status: z.string(),
        addedAt: z.string(),
        authorId: z.string(),
        task: z.string(),
        classes: z.array(z.string()).nullable(),
        artifact: artifactSchema.nullable().describe('The stored artifact; null for a remote scoring endpoint'),
        endpoint: z.object({ url: z.string() }).nullable(),
        inputSchema: z.array(inputFeatureSchema),
        trainingData: z.object({ datasetId: z.string(), contentHash: z.string() }).nullable(),
        metrics: z.record(z.string(), z.number()),
        notes: z.string(),
        validation: z.object({ at, checks: z.array(z.object({ name: z.string(), passed: z.boolean(), detail: z.string() })) }).nullable(),
        approvals: z.array(z.object({ at, approverId: z.string(), comment: z.string(), policyVersion: z.number().int() })),
        deployments: z.array(z.object({ at, policyVersion: z.number().int(), assessments: z.array(z.object({ kind: z.enum(ASSESSMENT_KINDS), eventId: z.string() })).describe('The assessments the deploy gate accepted') })),
        retirements: z.array(z.object({ at, reason: z.string() })),
        refusals: z.array(z.object({ at, transition: z.string(), reasons: z.array(z.string()) })),
        assessments: z.array(z.object({ kind: z.string(), eventId: z.string(), failingChecks: z.array(z.string()) })),
      }),
    ),
    ledgerPosition: z.number().int().describe("The ledger position the card reflects: re-assemble as of it to reproduce the card"),
    generatedAt: z.string(),
  })
  .meta({ id: 'ModelCard' });

type VersionCard = z.infer<typeof modelCardSchema>['versions'][number];

export type ModelCard = {
  modelId: string;
  name: string;
  type: string;
  ownerId: string;
  riskTier: string;
  intendedUse: string;
  description: string;
  tags: string[];
  status: 'active' | 'deleted';
  registeredAt: string;
  deployedVersion: number | null;
  versions: VersionCard[];
  /**
   * The ledger position the card reflects: its model's last event, or, for a card as of an
   * earlier point, that point. Re-assemble as of it to reproduce the card.
   */
  ledgerPosition: number;
  generatedAt: string;
};

/**
 * A model card (Mitchell et al. 2019, "Model Cards for Model Reporting") assembled from the
 * ledger itself, not a read model: purpose, versions, data lineage, metrics, validation,
 * assessments, approvals and deployments, each traceable to the event that recorded it.
 */
export async function assembleModelCard(runtime: ModelCardSources, modelId: string, point: LedgerPoint | null = null): Promise<ModelCard | null> {
  return (await assembleModelCardWithEvidence(runtime, modelId, point))?.card ?? null;
}

type ModelCardSources = Pick<Runtime, 'store' | 'catalogue' | 'vault'>;

/**
 * The card and the ledger events it was assembled from (as stored: sealed form), for an export's
 * evidence manifest; as the ledger stood at `point` when given.
 */
export async function assembleModelCardWithEvidence(runtime: ModelCardSources, modelId: string, point: LedgerPoint | null = null): Promise<{ card: ModelCard; evidence: StoredEvent[] } | null> {
  const streamId = modelStreamId(modelId);
  const stored = point ? await streamEventsAt(runtime.store, streamId, point) : await runtime.store.readStream(streamId);
  // A card is a document handed on (to regulators, in exports): it never carries personal data in clear.
  const events = await discloseEvents(stored, runtime, 'pseudonymised');
  if (events.length === 0) return null;
  const evidence = [...stored];
  const at = (e: StoredEvent) => e.occurredAt.toISOString();
  // The union of the model events' fields (each event type validated by the catalogue on append).
  type ModelEventData = {
    name: string; type: string; ownerId: string; riskTier: string; intendedUse: string; description: string; tags: string[];
    changes: Partial<ModelCard>; version: number; checks: { name: string; passed: boolean; detail: string }[];
    approverId: string; comment: string; policyVersion: number; assessments: VersionCard['deployments'][number]['assessments']; reason: string; transition: string; reasons: string[];
  };
  const d = (e: StoredEvent) => e.data as unknown as ModelEventData;
  const registered = events[0]!;
  const card: ModelCard = {
    modelId,
    name: d(registered).name,
    type: d(registered).type,
    ownerId: d(registered).ownerId,
    riskTier: d(registered).riskTier,
    intendedUse: d(registered).intendedUse,
    description: d(registered).description,
    tags: d(registered).tags,
    status: 'active',
    registeredAt: at(registered),
    deployedVersion: null,
    versions: [],
    ledgerPosition: point?.position ?? events[events.length - 1]!.position,
    generatedAt: new Date().toISOString(),
  };
  const version = (n: number) => card.versions.find((v) => v.version === n)!;
  for (const e of events.slice(1)) {
    const data = d(e);
    switch (e.type) {
      case 'model.updated':
        Object.assign(card, data.changes);
        break;
      case 'model.deleted':
        card.status = 'deleted';
        break;
      case 'model.version-added': {
        const { modelId: _m, version: n, authorId, ...spec } = e.data as Record<string, unknown>;
        const added = { version: n, status: 'draft', addedAt: at(e), authorId, ...spec, validation: null, approvals: [], deployments: [], retirements: [], refusals: [], assessments: [] };
        card.versions.push(added as unknown as VersionCard);
        break;
      }
      case 'model.version-validated':
        Object.assign(version(data.version), { status: 'validated', validation: { at: at(e), checks: data.checks } });
        break;
      case 'model.version-approved':
        version(data.version).status = 'approved';
        version(data.version).approvals.push({ at: at(e), approverId: data.approverId, comment: data.comment, policyVersion: data.policyVersion });
        break;
      case 'model.version-deployed':
        version(data.version).status = 'deployed';
        version(data.version).deployments.push({ at: at(e), policyVersion: data.policyVersion, assessments: data.assessments });
        card.deployedVersion = data.version;
        break;
      case 'model.version-retired':
        version(data.version).status = 'retired';
        version(data.version).retirements.push({ at: at(e), reason: data.reason });
        if (card.deployedVersion === data.version) card.deployedVersion = null;
        break;
      case 'model.transition-refused':
        version(data.version).refusals.push({ at: at(e), transition: data.transition, reasons: data.reasons });
        break;
    }
  }
  for (const v of card.versions) {
    const assessments = await assessmentEvents(runtime, modelId, v.version, point?.position);
    v.assessments = assessments.map(assessmentEvidence);
    evidence.push(...assessments);
  }
  return { card, evidence };
}

const cell = (s: unknown) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The card as Markdown, for people (regulators, reviewers) rather than programs. */
export function modelCardMarkdown(card: ModelCard): string {
  const lines = [
    `# Model card: ${card.name}`,
    '',
    `| | |`,
    `|---|---|`,
    `| Model id | \`${card.modelId}\` |`,
    `| Type | ${card.type} |`,
    `| Risk tier (EU AI Act) | ${card.riskTier} |`,
    `| Owner | \`${card.ownerId}\` |`,
    `| Status | ${card.status}${card.deployedVersion !== null ? `, version ${card.deployedVersion} deployed` : ', nothing deployed'} |`,
    `| Registered | ${card.registeredAt} |`,
    `| Tags | ${card.tags.map(cell).join(', ') || '—'} |`,
    '',
    '## Intended use',
    '',
    card.intendedUse || '_Not stated._',
    '',
    '## Description',
    '',
    card.description || '_None._',
    '',
    '## Versions',
  ];
  if (card.versions.length === 0) lines.push('', '_No versions yet._');
  for (const v of card.versions) {
    lines.push('', `### Version ${v.version} — ${v.status}`, '', `Added ${v.addedAt} by \`${v.authorId}\`; ${v.task}${v.classes ? ` (classes ${v.classes.map(cell).join(', ')})` : ''}.`, '');
    const artifact = v.artifact as { format: string; sha256: string; size: number } | null;
    lines.push(artifact ? `Artifact: ${artifact.format}, ${artifact.size} bytes, sha256 \`${artifact.sha256}\`.` : `Scored remotely at ${(v.endpoint as { url: string }).url}.`);
    lines.push('', `Inputs (${v.inputSchema.length}): ${v.inputSchema.map((f) => `${cell(f.name)} (${f.type})`).join(', ')}.`);
    lines.push('', v.trainingData ? `Training data: dataset \`${v.trainingData.datasetId}\`, content sha256 \`${v.trainingData.contentHash}\`.` : 'Training data: _not referenced._');
    const metrics = Object.entries(v.metrics);
    if (metrics.length > 0) lines.push('', '| Metric | Value |', '|---|---|', ...metrics.map(([k, x]) => `| ${cell(k)} | ${x} |`));
    if (v.validation) lines.push('', `Validated ${v.validation.at}:`, ...v.validation.checks.map((c) => `- ${c.passed ? 'passed' : 'FAILED'}: ${c.name} — ${cell(c.detail)}`));
    for (const a of v.approvals) lines.push('', `Approved ${a.at} by \`${a.approverId}\` under policy v${a.policyVersion}${a.comment ? `: “${cell(a.comment)}”` : ''}.`);
    lines.push('', v.assessments.length > 0 ? `Assessments: ${v.assessments.map((a) => `${a.kind} (${a.failingChecks.length === 0 ? 'no failing check' : `failing: ${a.failingChecks.join(', ')}`}, event \`${a.eventId}\`)`).join('; ')}.` : 'Assessments: _none yet_.');
    for (const dpl of v.deployments) lines.push('', `Deployed ${dpl.at} under policy v${dpl.policyVersion}.`);
    for (const r of v.retirements) lines.push('', `Retired ${r.at}: ${cell(r.reason)}.`);
    for (const r of v.refusals) lines.push('', `Refused ${r.transition} ${r.at}: ${r.reasons.map(cell).join('; ')}.`);
  }
  lines.push('', '---', '', `Assembled from the RAIA ledger up to position ${card.ledgerPosition} at ${card.generatedAt}.`, '');
  return lines.join('\n');
}
