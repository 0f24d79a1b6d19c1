// First-line check of the Node.js version, before anything that could fail obscurely on an old
// Node (Debian's apt has Node 18). CommonJS and old syntax on purpose: it must run on any Node.
'use strict';
var pkg = require('../../package.json');
var parts = process.versions.node.split('.').map(Number);
var major = parts[0], minor = parts[1];
var ok = (major === 20 && minor >= 19) || major >= 22;
if (!ok) {
  console.error(
    'kaito-ts needs Node.js ' + pkg.engines.node + ' (see .nvmrc); this is ' + process.version +
      ' at ' + process.execPath + '. Install Node 20.19+ or 22 (e.g. `nvm install` in this folder), then run this again.',
  );
  process.exit(2);
}
