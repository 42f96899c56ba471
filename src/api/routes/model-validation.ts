import type { ValidationCheck } from '../../commands/model/model.decider.js';
import type { ModelSummary, ModelVersionRecord } from '../../projections/model-registry.projection.js';
import type { Runtime } from '../../runtime.js';

const SAMPLE_ROWS = 32;

/**
 * A deterministic sample over the input schema's types: booleans, values in [-3, 3], and integers
 * 0 or 1 (integer features are often codes, e.g. a group index, where larger values are invalid).
 */
function sampleRows(inputSchema: { type: string }[]): Float64Array {
  const width = inputSchema.length;
  const rows = new Float64Array(SAMPLE_ROWS * width);
  for (let i = 0; i < SAMPLE_ROWS; i++) {
    for (let j = 0; j < width; j++) {
      const t = inputSchema[j]!.type;
      const u = ((i * 7919 + j * 104729) % 1000) / 1000;
      rows[i * width + j] = t === 'boolean' ? (i + j) % 2 : t === 'integer' ? (i + j) % 2 : u * 6 - 3;
    }
  }
  return rows;
}

/**
 * The technical checks a version must pass to become `validated`: the artifact loads and agrees
 * with the declared schema, it scores a sample to finite outputs (probabilities in [0, 1] summing
 * to 1), and a high-risk model (EU AI Act) references its training data (Art. 10) and declares
 * accuracy metrics (Art. 15).
 */
export async function validationChecks(runtime: Runtime, model: ModelSummary, version: ModelVersionRecord): Promise<ValidationCheck[]> {
  const checks: ValidationCheck[] = [];
  const highRisk = model.riskTier === 'high' || model.riskTier === 'unacceptable';
  checks.push(
    version.trainingData || !highRisk
      ? { name: 'training-data-referenced', passed: true, detail: version.trainingData ? `dataset ${version.trainingData.datasetId} (sha256 ${version.trainingData.contentHash.slice(0, 12)}…)` : `not required at ${model.riskTier} risk` }
      : { name: 'training-data-referenced', passed: false, detail: 'a high-risk model must reference the dataset it was trained on (EU AI Act Art. 10)' },
  );
  checks.push(
    Object.keys(version.metrics).length > 0 || !highRisk
      ? { name: 'metrics-declared', passed: true, detail: Object.keys(version.metrics).join(', ') || `not required at ${model.riskTier} risk` }
      : { name: 'metrics-declared', passed: false, detail: 'a high-risk model must declare its accuracy metrics (EU AI Act Art. 15)' },
  );
  let scoring;
  try {
    scoring = await runtime.scoringModels.get(model.modelId, version.version, version);
    checks.push({ name: 'artifact-loads', passed: true, detail: `${version.artifact?.format ?? 'remote'} ${version.task} model over ${scoring.featureNames.length} features` });
  } catch (error) {
    checks.push({ name: 'artifact-loads', passed: false, detail: error instanceof Error ? error.message : String(error) });
    return checks;
  }
  try {
    const out = await scoring.score(sampleRows(version.inputSchema), SAMPLE_ROWS);
    const problems: string[] = [];
    if (out.predictions.length !== SAMPLE_ROWS) problems.push(`${out.predictions.length} predictions for ${SAMPLE_ROWS} rows`);
    if (out.predictions.some((v) => !Number.isFinite(v))) problems.push('non-finite predictions');
    if (version.task !== 'regression') {
      const k = scoring.classes?.length ?? 0;
      if (!out.probabilities || out.probabilities.length !== SAMPLE_ROWS * k) problems.push('no probability per class');
      else {
        for (let i = 0; i < SAMPLE_ROWS; i++) {
          let sum = 0;
          for (let c = 0; c < k; c++) {
            const p = out.probabilities[i * k + c]!;
            if (!(p >= 0 && p <= 1)) problems.push(`probability ${p} outside [0, 1] (row ${i})`);
            sum += p;
          }
          if (Math.abs(sum - 1) > 1e-3) problems.push(`probabilities of row ${i} sum to ${sum}`);
        }
      }
    }
    checks.push(problems.length === 0 ? { name: 'scores-sample', passed: true, detail: `${SAMPLE_ROWS} sample rows scored` } : { name: 'scores-sample', passed: false, detail: problems.slice(0, 3).join('; ') });
  } catch (error) {
    checks.push({ name: 'scores-sample', passed: false, detail: error instanceof Error ? error.message : String(error) });
  }
  return checks;
}
