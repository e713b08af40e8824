// Configuration fixtures shared by unit tests.

/** The fewest fields a valid environment needs (a cloud stack with one probed service). */
export const minimalEnvironment = () => ({
  kind: 'cloud',
  host: 'dev.example',
  privateKey: '~/.ssh/id_ed25519',
  hostKey: `SHA256:${'D'.repeat(43)}`,
  deployDir: '/opt/smart-smoker-dev',
  composeFile: 'stack.yml',
  services: { backend: { container: 'backend_cloud', http: 'http://127.0.0.1:3001/api/ready' } },
});
