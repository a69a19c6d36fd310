// Owns the embeddable bundle's entry: defines <bw-feed> and nothing else, for `<script type="module" src=".../bw-feed.js">`.
export { BwFeed } from './components/bw-feed.js';
