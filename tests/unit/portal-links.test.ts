import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formToken, formTokenHolds, signLink, verifiedLinkId } from '../../services/portal-links';
import { sniffContentType } from '../../portal/mount';
import {
  type CollectionFacts,
  openDisputeRefusals,
  promiseRefusals,
  resolveDisputeRefusals,
  writeOffRequestRefusals,
} from '../../domain/collection-commands';
import { customerActor } from '../../domain/roles';

const secret = crypto.randomBytes(32);
const id = crypto.randomBytes(16).toString('base64url');

describe("customer's page links", () => {
  it('verify only with the secret they were signed with, and only untouched', () => {
    const token = signLink(secret, id);
    expect(verifiedLinkId(secret, token)).toBe(id);
    expect(verifiedLinkId(crypto.randomBytes(32), token)).toBeUndefined();
    const [linkId, signature] = token.split('.');
    const flip = (text: string) => `${text.slice(0, -1)}${text.endsWith('A') ? 'B' : 'A'}`;
    expect(verifiedLinkId(secret, `${flip(linkId)}.${signature}`)).toBeUndefined();
    expect(verifiedLinkId(secret, `${linkId}.${flip(signature)}`)).toBeUndefined();
    expect(verifiedLinkId(secret, `${token}x`)).toBeUndefined();
    expect(verifiedLinkId(secret, '')).toBeUndefined();
  });

  it('bind their form token to the link', () => {
    const other = crypto.randomBytes(16).toString('base64url');
    expect(formTokenHolds(secret, id, formToken(secret, id))).toBe(true);
    expect(formTokenHolds(secret, id, formToken(secret, other))).toBe(false);
    expect(formTokenHolds(secret, id, undefined)).toBe(false);
  });

  it('take a PDF or an image as a dispute attachment by its bytes, nothing else', () => {
    expect(sniffContentType(Buffer.from('%PDF-1.7\n'))).toBe('application/pdf');
    expect(sniffContentType(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe('image/png');
    expect(sniffContentType(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffContentType(Buffer.from('<html><script>'))).toBeUndefined();
  });
});

describe('a customer contact as an actor on a collection', () => {
  const facts: CollectionFacts = {
    invoiceNo: 'INV-1',
    closed: false,
    balanceMinor: 100_00,
    policy: { id: 'standard', version: 1 },
    resolvingDispute: false,
    interestToSettle: false,
    today: '2026-05-01',
  };
  const actor = customerActor('王芳', 'ACME');

  it('may promise to pay and open a dispute', () => {
    expect(promiseRefusals(facts, { actor, promisedDate: '2026-05-10', amountMinor: 50_00, contact: '王芳' })).toEqual(
      [],
    );
    expect(openDisputeRefusals(facts, { actor, reason: 'quality' })).toEqual([]);
  });

  it('may do nothing else', () => {
    const withDispute = { ...facts, disputeId: 'INV-1/D1' };
    expect(
      resolveDisputeRefusals(withDispute, { actor, outcome: 'rejected', creditMinor: 0, note: 'fine' }).map(
        (r) => r.code,
      ),
    ).toEqual(['not_permitted']);
    expect(writeOffRequestRefusals(facts, { actor, reason: 'x' }).map((r) => r.code)).toEqual(['not_permitted']);
  });
});
