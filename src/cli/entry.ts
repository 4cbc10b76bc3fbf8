import { main } from './main.js';
import { setCliEntryUrl } from './worker-entry.js';

// This module is the bundle's entry point (out/cli/cli.js): its URL locates worker.js.
setCliEntryUrl(import.meta.url);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
