// Owns the embeddable bundle's entry: defines <bw-feed> and nothing else, for `<script type="module" src=".../bw-feed.js">`.
import './early-open.js'; // first: the database opens while the rest evaluates
export { BwFeed } from './components/bw-feed.js';
