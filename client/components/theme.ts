// Owns the shared look: CSS custom properties every BrainWaves component reads, so a host page can theme them.
import { css } from 'lit';

/** Override any --bw-* property on <bw-feed> (or an ancestor) to theme every part. */
export const theme = css`
  :host {
    --_fg: var(--bw-color-text, #1d1d1f);
    --_muted: var(--bw-color-muted, #6e6e73);
    --_bg: var(--bw-color-background, #ffffff);
    --_surface: var(--bw-color-surface, #f5f5f7);
    --_accent: var(--bw-color-accent, #5b3cc4);
    --_on-accent: var(--bw-color-on-accent, #ffffff);
    --_danger: var(--bw-color-danger, #b3261e);
    --_radius: var(--bw-radius, 10px);
    --_gap: var(--bw-gap, 12px);
    font-family: var(--bw-font-family, system-ui, -apple-system, 'Segoe UI', sans-serif);
    color: var(--_fg);
  }
  button {
    font: inherit;
    border: 0;
    border-radius: var(--_radius);
    padding: 8px 14px;
    background: var(--_accent);
    color: var(--_on-accent);
    cursor: pointer;
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  textarea,
  input {
    font: inherit;
    box-sizing: border-box;
    width: 100%;
    border: 1px solid color-mix(in srgb, var(--_muted) 40%, transparent);
    border-radius: var(--_radius);
    padding: 8px;
    background: var(--_bg);
    color: var(--_fg);
  }
  .error {
    color: var(--_danger);
    font-size: 0.9em;
  }
  .muted {
    color: var(--_muted);
    font-size: 0.85em;
  }
`;
