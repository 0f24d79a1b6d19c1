#!/usr/bin/env node
/** The `skopeo` stand-in's entrypoint (skopeo.ts); tools/cluster/images/skopeo/bin/skopeo runs it. */
import { messageOf } from './errors.js';
import { main } from './skopeo.js';

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`skopeo (kaito-ts stand-in): ${messageOf(err)}\n`);
    process.exit(1);
  },
);
