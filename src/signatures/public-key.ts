// An approver's SSH public key, as its .pub file or an allowed-signers line
// holds it. Checked before it is written anywhere: a line break or an option
// smuggled into a key would change what the allowed-signers file says.
/** An OpenSSH public key line's type and body (a comment after them is allowed). */
export const PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) ([A-Za-z0-9+/]+={0,2})(?: [^\n\r]*)?$/;

/** The key's type and base64 body, the comment dropped; undefined when it is no public key. */
export function publicKeyBody(key: string): string | undefined {
  const m = PUBLIC_KEY.exec(key.trim());
  return m ? `${m[1]} ${m[2]}` : undefined;
}

