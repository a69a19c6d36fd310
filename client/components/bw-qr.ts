// Owns <bw-qr>: a QR code of its `value`, drawn as SVG. Registered by the full page only, to keep the embed small.
import { LitElement, css, svg, html } from 'lit';
import { encode } from 'uqr';

/**
 * @attr value - the text to encode (an invite link, a link code)
 * @attr label - its accessible name (default: the invite link's)
 * @csspart svg - the drawn code
 * @cssprop --bw-qr-size - width and height (default 180px)
 */
export class BwQr extends LitElement {
  static override properties = { value: { type: String }, label: { type: String } };
  static override styles = css`
    :host { display: inline-block; }
    svg { width: var(--bw-qr-size, 180px); height: var(--bw-qr-size, 180px); background: #fff; }
  `;
  declare value: string;
  declare label: string;

  constructor() {
    super();
    this.value = '';
    this.label = 'QR code of the invite link';
  }

  override render() {
    if (!this.value) return null;
    const { data, size } = encode(this.value, { ecc: 'M', border: 2 });
    let d = '';
    data.forEach((row, y) => row.forEach((on, x) => on && (d += `M${x} ${y}h1v1h-1z`)));
    return html`<svg part="svg" role="img" aria-label=${this.label} viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges">${svg`<path d=${d} fill="#000"/>`}</svg>`;
  }
}
customElements.get('bw-qr') || customElements.define('bw-qr', BwQr);
