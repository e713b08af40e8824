// Moving a tag in the lab registry, as a careless push would: the manifest
// of one tag is put under another. Returns how to put the original back.
import { LAB_REGISTRY } from './paths.ts';

const ACCEPT = [
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

async function getManifest(repo: string, ref: string): Promise<{ body: Buffer; type: string }> {
  const res = await fetch(`${LAB_REGISTRY}/v2/${repo}/manifests/${ref}`, { headers: { accept: ACCEPT } });
  if (!res.ok) throw new Error(`GET ${repo}:${ref} -> ${res.status}`);
  return { body: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type')! };
}

async function putManifest(repo: string, tag: string, m: { body: Buffer; type: string }): Promise<void> {
  const res = await fetch(`${LAB_REGISTRY}/v2/${repo}/manifests/${tag}`, { method: "PUT", headers: { "content-type": m.type }, body: new Uint8Array(m.body) });
  if (!res.ok) throw new Error(`PUT ${repo}:${tag} -> ${res.status} ${await res.text()}`);
}

/** Points repo:tag at the content of repo:from. */
export async function moveTag(repo: string, tag: string, from: string): Promise<() => Promise<void>> {
  const original = await getManifest(repo, tag);
  await putManifest(repo, tag, await getManifest(repo, from));
  return () => putManifest(repo, tag, original);
}

/** Points repo:tag at the content of repo:from, whether or not the tag exists. */
export async function copyTag(repo: string, from: string, tag: string): Promise<void> {
  await putManifest(repo, tag, await getManifest(repo, from));
}
