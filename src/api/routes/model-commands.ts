import type { FastifyRequest } from 'fastify';
import { handleCommand, type CommandResult } from '../../commands/command-handler.js';
import type { StreamPrecondition } from '../../commands/stream-precondition.js';
import { deploymentPolicyDecider, DEPLOYMENT_POLICY_STREAM, type VersionedPolicy } from '../../commands/model/deployment-policy.js';
import { modelDecider, modelStreamId, type ModelCommand, type ModelState } from '../../commands/model/model.decider.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { HttpProblem, notFound } from '../problem-details.js';

/**
 * Runs a model command as the caller, under the caller's If-Match precondition when given. A
 * lifecycle transition the decider refused was recorded as a `model.transition-refused` event;
 * the client gets 409 with every unmet condition.
 */
export async function runModelCommand(runtime: Runtime, request: FastifyRequest, modelId: string, command: ModelCommand, precondition?: StreamPrecondition): Promise<CommandResult<ModelState>> {
  // A stream this process's commands left a state of exists (streams are never removed).
  const known = runtime.streamStates.get(modelDecider, modelStreamId(modelId)) !== undefined;
  if (!known && command.type !== 'RegisterModel' && (await runtime.store.readStream(modelStreamId(modelId), { limit: 1 })).length === 0) throw notFound(`model ${modelId}`);
  const result = await handleCommand(runtime, modelDecider, modelStreamId(modelId), command, { actor: actorOf(principalOf(request)), correlationId: request.id, ...(precondition ? { precondition } : {}) });
  const refused = result.events.find((e) => e.type === 'model.transition-refused');
  if (refused) {
    const [event] = await runtime.store.readStream(modelStreamId(modelId), { fromVersion: result.streamVersion, limit: 1 });
    const data = event!.data as { transition: string; reasons: string[] };
    throw new HttpProblem(409, 'transition-refused', 'Transition refused', data.reasons.join('; '), {
      code: 'TRANSITION_REFUSED',
      reasons: data.reasons,
      transition: data.transition,
      refusalEventId: refused.id,
      position: refused.position,
    });
  }
  return result;
}

/** The deployment policy in force (the default until an administrator sets one). */
export async function currentDeploymentPolicy(runtime: Runtime): Promise<VersionedPolicy> {
  return (await deploymentPolicyWithVersion(runtime)).policy;
}

/** The policy in force and its ledger stream version (null while the default applies): its ETag. */
export async function deploymentPolicyWithVersion(runtime: Runtime): Promise<{ policy: VersionedPolicy; streamVersion: number | null }> {
  const events = await runtime.store.readStream(DEPLOYMENT_POLICY_STREAM);
  let state = deploymentPolicyDecider.initialState();
  for (const e of events) state = deploymentPolicyDecider.evolve(state, runtime.catalogue.upcast(e) as never);
  return { policy: state, streamVersion: events.at(-1)?.streamVersion ?? null };
}
