// The floor `compat check --json` is measured against (issue 17): bare Node asking the same endpoint once with
// node:http and printing the answer. Unlike the global fetch (bench/fetch-baseline.js), it loads no undici.
import { get } from 'node:http';

get(process.argv[2], (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (d) => {
    body += d;
  });
  res.on('end', () => process.stdout.write(`${body}\n`));
});
