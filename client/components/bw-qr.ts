// Owns <bw-qr>: a QR code of its `value`, drawn as SVG once the QR generator's chunk (client/qr-libs.ts) is loaded.
import { LitElement, css, svg, html } from 'lit';
import { pinnedChunk } from '../pinned-chunk.js';

/** The generator's chunk: placeholders the build writes its name and SRI hash over (rollup.config.mjs pinChunks). */
const QR_FILE = './qr-libs.________.js';
const QR_SRI = 'sha384-qr-libs_________________________________________________________';
const loadQr = pinnedChunk(QR_FILE, QR_SRI, import.meta.url, () => import('../qr-libs.js'));
type Encode = Awaited<ReturnType<typeof loadQr>>['encode'];

/**
 * @attr value - the text to encode (an invite link, a link code)
 * @attr label - its accessible name (default: the invite link's)
 * @csspart svg - the drawn code
 * @cssprop --bw-qr-size - width and height (default 180px)
 */
export class BwQr extends LitElement {
  static override properties = { value: { type: String }, label: { type: String }, _encode: { state: true } };
  static override styles = css`
    :host { display: inline-block; }
    svg { width: var(--bw-qr-size, 180px); height: var(--bw-qr-size, 180px); background: #fff; }
  `;
  declare value: string;
  declare label: string;
  declare _encode: Encode | undefined;

  constructor() {
    super();
    this.value = '';
    this.label = 'QR code of the invite link';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // Drawn once the generator is here; a chunk that fails to load leaves the text code beside it to copy.
    if (!this._encode) loadQr().then(({ encode }) => (this._encode = encode), (e: unknown) => console.error(e));
  }

  override render() {
    if (!this.value || !this._encode) return null;
    const { data, size } = this._encode(this.value, { ecc: 'M', border: 2 });
    let d = '';
    data.forEach((row, y) => row.forEach((on, x) => on && (d += `M${x} ${y}h1v1h-1z`)));
    return html`<svg part="svg" role="img" aria-label=${this.label} viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges">${svg`<path d=${d} fill="#000"/>`}</svg>`;
  }
}
customElements.get('bw-qr') || customElements.define('bw-qr', BwQr);
