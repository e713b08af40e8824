// A collection's content hash, the same whether its documents are read from
// an archive (in the order mongodump wrote them) or from a server (in any
// order): the sum, modulo 2^256, of each document's sha256 over its BSON
// bytes. Adding is order-free, so nothing has to be sorted or held in
// memory, and a document missing, added, changed or duplicated changes the
// sum. It guards against damage and loss, not against a forger: that is the
// archive's own sha256's job, recorded and checked at both ends.
import { createHash } from 'node:crypto';

const MODULUS = 1n << 256n;

export class ContentHash {
  private sum = 0n;

  add(document: Uint8Array): void {
    const d = createHash('sha256').update(document).digest();
    this.sum += (d.readBigUInt64BE(0) << 192n) | (d.readBigUInt64BE(8) << 128n) | (d.readBigUInt64BE(16) << 64n) | d.readBigUInt64BE(24);
  }

  /** 64 hex digits. */
  digest(): string {
    return (this.sum % MODULUS).toString(16).padStart(64, '0');
  }
}
