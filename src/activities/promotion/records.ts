// What Temporal recorded of each environment's last deploy: its outcome,
// version and exact images. A promotion releases what dev runs only when
// the record and the host agree.
import { Context } from '@temporalio/activity';
import { deployWorkflowId } from '../../workflows/definitions.ts';
import type { DeployResult, LastDeploy } from '../../workflows/types.ts';

export async function lastDeploys(environments: string[]): Promise<LastDeploy[]> {
  const client = Context.current().client;
  return Promise.all(
    environments.map(async (environment): Promise<LastDeploy> => {
      const handle = client.workflow.getHandle(deployWorkflowId(environment));
      let status: string;
      try {
        status = (await handle.describe()).status.name;
      } catch (err) {
        if ((err as Error).name === 'WorkflowNotFoundError') return { environment, outcome: 'none', services: [] };
        throw err;
      }
      if (status === 'RUNNING') return { environment, outcome: 'running', services: [] };
      // A failed deploy carries its result as the failure's details.
      const result = (await handle.result().catch((err) => err?.cause?.details?.[0])) as DeployResult | undefined;
      if (!result?.outcome) return { environment, outcome: 'unknown', services: [] };
      return { environment, outcome: result.outcome, version: result.version, services: result.services };
    }),
  );
}
