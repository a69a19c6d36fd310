// Owns the shared look: CSS custom properties every BrainWaves component reads, so a host page can theme them.
import { css } from 'lit';

/** Override any --bw-* property on <bw-feed> (or an ancestor) to theme every part. Dark follows prefers-color-scheme. */
export const theme = css`
  :host {
    color-scheme: light dark;
    --_fg: var(--bw-color-text, #1d1d1f);
    --_muted: var(--bw-color-muted, #5f5f66);
    --_bg: var(--bw-color-background, #ffffff);
    --_surface: var(--bw-color-surface, #f3f3f6);
    --_line: var(--bw-color-line, #e1e1e8);
    --_accent: var(--bw-color-accent, #5b3cc4);
    --_on-accent: var(--bw-color-on-accent, #ffffff);
    --_accent-soft: var(--bw-color-accent-soft, #ece7fb);
    --_danger: var(--bw-color-danger, #b3261e);
    --_ok: var(--bw-color-ok, #1e7b34);
    --_radius: var(--bw-radius, 12px);
    --_gap: var(--bw-gap, 12px);
    font-family: var(--bw-font-family, system-ui, -apple-system, 'Segoe UI', sans-serif);
    color: var(--_fg);
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --_fg: var(--bw-color-text, #ececf1);
      --_muted: var(--bw-color-muted, #a9a9b3);
      --_bg: var(--bw-color-background, #121215);
      --_surface: var(--bw-color-surface, #1d1d22);
      --_line: var(--bw-color-line, #2e2e36);
      --_accent: var(--bw-color-accent, #b4a5ff);
      --_on-accent: var(--bw-color-on-accent, #1a1236);
      --_accent-soft: var(--bw-color-accent-soft, #2c2545);
      --_danger: var(--bw-color-danger, #ff8f86);
      --_ok: var(--bw-color-ok, #6fd68a);
    }
  }
  button {
    font: inherit;
    border: 0;
    border-radius: 999px;
    padding: 8px 16px;
    background: var(--_accent);
    color: var(--_on-accent);
    cursor: pointer;
    font-weight: 600;
  }
  button.ghost {
    background: transparent;
    color: var(--_fg);
    font-weight: 500;
    border: 1px solid var(--_line);
  }
  button.link {
    background: transparent;
    color: var(--_accent);
    padding: 4px 6px;
    font-weight: 600;
  }
  button:disabled {
    opacity: 0.5;
    cursor: default;
  }
  :focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  textarea,
  input,
  select {
    font: inherit;
    box-sizing: border-box;
    width: 100%;
    border: 1px solid var(--_line);
    border-radius: var(--_radius);
    padding: 8px 10px;
    background: var(--_bg);
    color: var(--_fg);
  }
  label {
    display: grid;
    gap: 4px;
    font-size: 0.9em;
    font-weight: 500;
  }
  .error {
    color: var(--_danger);
    font-size: 0.9em;
  }
  .muted {
    color: var(--_muted);
    font-size: 0.85em;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  .card {
    background: var(--_bg);
    border: 1px solid var(--_line);
    border-radius: var(--_radius);
    padding: 12px 14px;
  }
`;
