// Owns the stand-in for the `buffer` package in the browser bundles: simple-peer 9.11 only calls
// Buffer.from(ArrayBuffer) on binary data-channel messages; a Uint8Array view is what the product reads.
export const Buffer = { from: (data) => new Uint8Array(data) };
export default { Buffer };
