// Owns the QR code generator the page loads when it first draws a QR code, as a chunk of its own (client/components/bw-qr.ts).
// Nothing of the project's own code is imported here, so the chunk imports nothing and the entry can pin it by SRI hash.
export { encode } from 'uqr';
