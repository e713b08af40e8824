// The release gate's keys: every approver needs an SSH public key, or their
// answers are refused. One line per approver, with the key's fingerprint an
// approver can compare with `ssh-keygen -lf ~/.ssh/id_ed25519.pub`.
import type { Config } from '../config/schema.ts';
import { approversOf } from '../signatures/approvers.ts';
import { fingerprintOf } from '../signatures/ssh-keygen.ts';
import { fail, ok, warn, type CheckLine } from './lines.ts';

export async function checkApprovers(promotion: NonNullable<Config['promotion']>): Promise<CheckLine[]> {
  let approvers;
  try {
    approvers = approversOf(promotion);
  } catch (err) {
    return [fail('approvers', `the allowed signers file cannot be read: ${(err as Error).message}`)];
  }
  return Promise.all(
    approvers.map(async ({ name, keys }) => {
      if (keys.length === 0) return warn(`approver ${name}`, 'no SSH key: every answer signed as this approver is refused; add key: to promotion.approvers, or a line to the allowed signers file');
      const prints = await Promise.all(keys.map((k) => fingerprintOf(k)));
      return ok(`approver ${name}`, `${keys.length} key(s): ${prints.map((p) => p ?? 'unreadable').join(', ')}`);
    }),
  );
}
