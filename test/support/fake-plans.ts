// A deploy plan for workflow tests with fake activities: a cloud stack of
// one backend on a host nobody reaches.
import type { DeployPlan } from '../../src/workflows/types.ts';

export const fakeDeployPlan = (environment: string, version = 'v2', host = `${environment}.invalid`): DeployPlan => ({
  environment,
  kind: 'cloud',
  version,
  host: { host, port: 22, user: 'deploy', privateKey: '/keys/id_ed25519', connectTimeoutSeconds: 10 },
  deployDir: '/opt/smart-smoker',
  composeFileName: 'docker-compose.yml',
  composeSha256: 'a'.repeat(64),
  composeFile: '/config/docker-compose.yml',
  extraFiles: [],
  settings: {},
  secrets: {},
  services: { backend: { container: 'backend_cloud' } },
  holdDuringDeploy: [],
  health: { timeoutSeconds: 60, intervalSeconds: 2, tailscale: false },
  minFreeDiskMb: 500,
  retention: { keep: 5 },
});
