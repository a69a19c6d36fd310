// Owns the few line icons the components draw (inline SVG, so they show without an emoji font and follow currentColor).
import { svg } from 'lit';

/**
 * `overflow="visible"`: an inline <svg> clips to its box by default, a clip per icon the browser records, layers and
 * rasters on every frame that shows it (two per post card); the strokes stay inside the 24-unit box anyway.
 */
const icon = (d: ReturnType<typeof svg>) => svg`<svg class="i" viewBox="0 0 24 24" width="18" height="18" overflow="visible" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${d}</svg>`;

export const photoIcon = icon(svg`<rect x="3" y="4" width="18" height="16" rx="3"/><circle cx="9" cy="10" r="2"/><path d="m21 16-5-5-9 9"/>`);
export const replyIcon = icon(svg`<path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1.1-4.6A8 8 0 1 1 21 12z"/>`);
export const reactIcon = icon(svg`<circle cx="12" cy="12" r="9"/><path d="M8.5 14.5a4.5 4.5 0 0 0 7 0"/><path d="M9 9.5h.01M15 9.5h.01"/>`);
export const searchIcon = icon(svg`<circle cx="11" cy="11" r="7"/><path d="m20 20-3.5-3.5"/>`);
