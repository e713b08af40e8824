// Is a device on? One quick look, no retries: an offline device is an
// answer ("not yet"), not a failure. The promotion decides when to look again.
import { dockerVersion } from '../../commands/docker.ts';
import type { HostTarget } from '../../workflows/types.ts';
import { onHost } from '../remote.ts';

export async function probeHost(host: HostTarget): Promise<{ online: boolean; detail: string }> {
  try {
    return await onHost(host, async (remote) => {
      const docker = await remote.run(dockerVersion(), { timeoutSeconds: 15 });
      return docker.code === 0 ? { online: true, detail: `docker ${docker.stdout.trim()}` } : { online: false, detail: `docker does not answer: ${docker.stderr.trim()}` };
    });
  } catch (err) {
    return { online: false, detail: (err as Error).message };
  }
}
