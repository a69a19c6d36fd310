// Owns the stand-in for `readable-stream` in the browser bundles: just the Duplex surface simple-peer 9.11.1 uses
// (pinned exactly in package.json: a new simple-peer must be checked against these shims).
// simple-peer subclasses Duplex for Node-style piping; the product only uses its events and send(), never a
// stream pipe, so a full Node streams port (~17 KB gzip with its buffer/process shims) is dead weight.
// Kept to simple-peer's own calls: push(data|null), end(), write() → _write(), _readableState.ended,
// _writableState.finished, 'finish' once end() is called. test/e2e exercises it through the built bundles.
import { EventEmitter } from 'events';

export class Duplex extends EventEmitter {
  constructor() {
    super();
    this.readable = true;
    this.writable = true;
    this._readableState = { ended: false };
    this._writableState = { ended: false, finished: false };
  }

  /** Incoming data goes straight to 'data' listeners; null ends the readable side. */
  push(chunk) {
    if (this._readableState.ended) return false;
    if (chunk === null) {
      this._readableState.ended = true;
      this.emit('end');
      return false;
    }
    this.emit('data', chunk);
    return true;
  }

  write(chunk, encoding, cb) {
    if (typeof encoding === 'function') (cb = encoding), (encoding = undefined);
    if (this._writableState.ended) {
      const err = new Error('write after end');
      if (cb) queueMicrotask(() => cb(err));
      else this.emit('error', err);
      return false;
    }
    this._write(chunk, encoding, (err) => {
      if (err) this.emit('error', err);
      if (cb) cb(err);
    });
    return true;
  }

  end(chunk, encoding, cb) {
    if (typeof chunk === 'function') (cb = chunk), (chunk = undefined);
    if (chunk != null) this.write(chunk, encoding);
    if (this._writableState.ended) return this;
    this._writableState.ended = true;
    queueMicrotask(() => {
      this._writableState.finished = true;
      this.emit('finish');
      if (cb) cb();
    });
    return this;
  }
}

export default { Duplex };
