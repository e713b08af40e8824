import { createHash } from 'node:crypto';

/** The hex sha256 of a file's contents, as `sha256sum` prints it. */
export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
