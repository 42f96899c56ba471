/** Input a route must answer 400 to, naming each field (`body.baseUrl`); nothing was recorded. */
export class InvalidLlmInput extends Error {
  constructor(public readonly errors: { field: string; message: string }[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.name = 'InvalidLlmInput';
  }
}

/** The configuration's key cannot be had (its environment variable is unset, or the stored key was destroyed). */
export class LlmApiKeyUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LlmApiKeyUnavailable';
  }
}

/** A chat session that does not exist, was deleted, or is someone else's (all answer 404, so ids are not confirmed). */
export class ChatSessionNotFound extends Error {
  constructor(public readonly sessionId: string) {
    super(`chat session ${sessionId} does not exist`);
    this.name = 'ChatSessionNotFound';
  }
}

/** A configuration that does not exist or was deleted. */
export class LlmConfigurationNotFound extends Error {
  constructor(public readonly configurationId: string) {
    super(`configuration ${configurationId} does not exist`);
    this.name = 'LlmConfigurationNotFound';
  }
}
