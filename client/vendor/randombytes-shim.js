// Owns the stand-in for `randombytes` in the browser bundles: simple-peer 9.11 only calls randombytes(n).toString('hex')
// for a debug id and a data-channel label, so Web Crypto bytes with a hex toString (no Buffer polyfill) suffice.
export default function randombytes(n) {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  bytes.toString = () => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return bytes;
}
