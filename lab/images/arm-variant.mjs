// Republishes an image tag in the lab registry as a manifest list with a
// linux/amd64 and a linux/arm/v7 entry. The virtual smoker's compose file pins
// `platform: linux/arm/v7` (the real image is published for arm/v7 only); the
// lab's stand-in binary is amd64, so the arm entry is the same layers under
// an arm/v7 config, which the lab host runs natively, as qemu-user would.
// Usage: node arm-variant.mjs http://127.0.0.1:5000 REPO TAG...
import { createHash } from 'node:crypto';

const [registry, repo, ...tags] = process.argv.slice(2);
const SCHEMA2 = 'application/vnd.docker.distribution.manifest.v2+json';
const LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const sha256 = (buf) => 'sha256:' + createHash('sha256').update(buf).digest('hex');

async function call(method, path, { headers = {}, body } = {}) {
  const res = await fetch(path.startsWith('http') ? path : `${registry}/v2/${repo}/${path}`, { method, headers, body });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

async function putBlob(bytes) {
  const digest = sha256(bytes);
  const start = await call('POST', 'blobs/uploads/');
  const location = new URL(start.headers.get('location'), registry);
  location.searchParams.set('digest', digest);
  await call('PUT', location.href, { headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  return { digest, size: bytes.length };
}

async function putManifest(ref, mediaType, doc) {
  const bytes = Buffer.from(JSON.stringify(doc));
  await call('PUT', `manifests/${ref}`, { headers: { 'content-type': mediaType }, body: bytes });
  return { mediaType, digest: sha256(bytes), size: bytes.length };
}

for (const tag of tags) {
  const res = await call('GET', `manifests/${tag}`, { headers: { accept: `${SCHEMA2}, ${LIST}` } });
  if (res.headers.get('content-type') === LIST) continue;
  const amdBytes = Buffer.from(await res.arrayBuffer());
  const amd = JSON.parse(amdBytes.toString());
  const config = await (await call('GET', `blobs/${amd.config.digest}`)).json();
  const armConfig = await putBlob(Buffer.from(JSON.stringify({ ...config, architecture: 'arm', variant: 'v7' })));
  const armManifest = { ...amd, config: { ...amd.config, ...armConfig } };
  const arm = await putManifest(sha256(Buffer.from(JSON.stringify(armManifest))), SCHEMA2, armManifest);
  await putManifest(tag, LIST, {
    schemaVersion: 2,
    mediaType: LIST,
    manifests: [
      { mediaType: SCHEMA2, digest: sha256(amdBytes), size: amdBytes.length, platform: { architecture: 'amd64', os: 'linux' } },
      { ...arm, platform: { architecture: 'arm', os: 'linux', variant: 'v7' } },
    ],
  });
}
