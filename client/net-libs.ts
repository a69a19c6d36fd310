// Owns the network libraries the page loads after its first paint, as a chunk of their own: Socket.IO's client and simple-peer (client/lazy-net.ts).
// Nothing of the project's own code is imported here, so the chunk imports nothing and the entry can pin it by SRI hash.
export { io } from 'socket.io-client';
export { default as SimplePeer } from 'simple-peer';
