import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CommandRefused } from '../../../src/commands/decider.js';
import { emailClaimStreamId, emailDigest, normaliseEmail } from '../../../src/commands/user/email-address.js';
import { emailClaimDecider } from '../../../src/commands/user/email-claim.decider.js';
import { ssoIdentityDigest, ssoIdentityLinkDecider, ssoIdentityStreamId } from '../../../src/commands/user/sso-identity-link.decider.js';
import { systemActor } from '../../../src/events/envelope.js';

const context = { now: new Date('2026-01-01T00:00:00Z'), actor: systemActor() };
const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
function refusal(run: () => unknown): CommandRefused {
  try {
    run();
  } catch (error) {
    if (error instanceof CommandRefused) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('e-mail addresses', () => {
  it('normalises by trimming, NFC and lower case; the digest is HMAC-SHA-256 of the normalised form', () => {
    expect(normaliseEmail('  Ada.Lovelace@Example.ORG\t')).toBe('ada.lovelace@example.org');
    expect(normaliseEmail('E\u0301@x.org')).toBe('\u00e9@x.org');
    const expected = createHmac('sha256', key).update('ada@example.org', 'utf8').digest('hex');
    expect(emailDigest(' ADA@example.org ', key)).toBe(expected);
    expect(emailDigest('ada@example.org', Buffer.from('other'))).not.toBe(expected);
    expect(emailClaimStreamId('abc')).toBe('useremail-abc');
  });
});

describe('e-mail claim decider', () => {
  it('the first account claims the address; the same account again records nothing; another is refused', () => {
    expect(emailClaimDecider.category).toBe('useremail');
    const empty = emailClaimDecider.initialState();
    expect(empty).toEqual({ claimedBy: null });
    const [claimed] = emailClaimDecider.decide({ type: 'ClaimEmail', userId: 'u1', emailDigest: 'd1' }, empty, context);
    expect(claimed).toEqual({ type: 'user.email-claimed', data: { userId: 'u1', emailDigest: 'd1' } });
    const state = emailClaimDecider.evolve(empty, claimed!);
    expect(state).toEqual({ claimedBy: 'u1' });
    expect(emailClaimDecider.decide({ type: 'ClaimEmail', userId: 'u1', emailDigest: 'd1' }, state, context)).toEqual([]);
    const refused = refusal(() => emailClaimDecider.decide({ type: 'ClaimEmail', userId: 'u2', emailDigest: 'd1' }, state, context));
    expect([refused.code, refused.reasons, refused.status]).toEqual(['EMAIL_TAKEN', ['the e-mail address belongs to another account'], 409]);
  });
});

describe('SSO identity link decider', () => {
  it('the digest keys issuer and subject together, separated by a newline', () => {
    expect(ssoIdentityDigest('https://idp', 'sub', key)).toBe(createHmac('sha256', key).update('https://idp\nsub', 'utf8').digest('hex'));
    expect(ssoIdentityDigest('https://idp', 'sub', key)).not.toBe(ssoIdentityDigest('https://idp2', 'sub', key));
    expect(ssoIdentityStreamId('abc')).toBe('usersso-abc');
  });

  it('links an identity to one account for good', () => {
    expect(ssoIdentityLinkDecider.category).toBe('usersso');
    const empty = ssoIdentityLinkDecider.initialState();
    expect(empty).toEqual({ linkedTo: null });
    const [linked] = ssoIdentityLinkDecider.decide({ type: 'LinkSsoIdentity', userId: 'u1', provider: 'corp', identityDigest: 'd' }, empty, context);
    expect(linked).toEqual({ type: 'user.sso-identity-linked', data: { userId: 'u1', provider: 'corp', identityDigest: 'd' } });
    const state = ssoIdentityLinkDecider.evolve(empty, linked!);
    expect(state).toEqual({ linkedTo: 'u1' });
    expect(ssoIdentityLinkDecider.decide({ type: 'LinkSsoIdentity', userId: 'u1', provider: 'corp', identityDigest: 'd' }, state, context)).toEqual([]);
    const refused = refusal(() => ssoIdentityLinkDecider.decide({ type: 'LinkSsoIdentity', userId: 'u2', provider: 'corp', identityDigest: 'd' }, state, context));
    expect([refused.code, refused.reasons, refused.status]).toEqual(['SSO_IDENTITY_LINKED', ['this sign-in identity belongs to another account'], 409]);
  });
});
