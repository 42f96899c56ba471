import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './platform/config.js';
import { createLogger } from './platform/logger.js';
import { startRuntime } from './runtime.js';
import { registerAccount } from './commands/user/registration.js';
import { systemActor } from './events/envelope.js';
import { DataDirectoryInUse } from './platform/data-directory-lock.js';

/**
 * `npm run create-admin -- --email admin@example.org [--name "Ada Admin"]`: creates an administrator
 * on the configured database. The password is read from standard input (piped), or prompted for
 * without echo on a terminal; it never appears in arguments, environment or logs.
 * On the embedded database it needs the data directory to itself: while a server runs on it, it
 * refuses (exit code 3) and says what to do instead.
 */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text.replace(/\r?\n$/, '');
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const muted = rl as unknown as { _writeToOutput(s: string): void };
  let prompting = true;
  muted._writeToOutput = (s: string) => {
    if (!prompting) process.stdout.write(s);
  };
  process.stdout.write('Password: ');
  const answer = await new Promise<string>((resolve) => rl.question('', resolve));
  prompting = false;
  rl.close();
  process.stdout.write('\n');
  return answer;
}

try {
  const { values } = parseArgs({ options: { email: { type: 'string' }, name: { type: 'string', default: 'Administrator' } } });
  if (!values.email) throw new Error('usage: npm run create-admin -- --email <address> [--name <name>]  (password on stdin)');
  const config = loadConfig();
  // The database first: a refusal (data directory in use) comes before the password prompt.
  const runtime = await startRuntime(config, { logger: createLogger('warn') });
  try {
    const password = await readPassword();
    const result = await registerAccount(
      runtime.identity,
      { email: values.email, name: values.name ?? 'Administrator', password, role: 'admin', method: 'admin-bootstrap', emailVerified: true },
      systemActor('create-admin'),
    );
    console.log(result.created ? `administrator created: ${result.userId}` : `an account with this address already exists: ${result.userId}`);
    process.exitCode = result.created ? 0 : 1;
  } finally {
    await runtime.close();
  }
} catch (error) {
  if (error instanceof DataDirectoryInUse) {
    console.error(
      [
        `Another RAIA process (pid ${error.holder.pid}${error.holder.command ? `: ${error.holder.command}` : ''}, started ${error.holder.startedAt}) is using ${error.directory}, and the embedded database allows one process at a time.`,
        'If it is the server, either invite the administrator through it: an administrator sends POST /api/v1/admin/invitations {"email", "name", "role": "admin"}, and the invitee sets a password from the e-mailed link;',
        `or stop it (kill ${error.holder.pid}), run create-admin again, then start the server again. (With no administrator yet, RAIA_BOOTSTRAP_ADMIN_EMAIL and RAIA_BOOTSTRAP_ADMIN_PASSWORD create one at server start.)`,
      ].join('\n'),
    );
    process.exitCode = 3;
  } else {
    console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
    process.exitCode = 2;
  }
}
