// The floor `compat check --json` is measured against: bare Node fetching the same endpoint with the global
// fetch and printing the answer. No flags, no matrix, no verdict: what any Node CLI pays to ask once.
const res = await fetch(process.argv[2]);
process.stdout.write(`${await res.text()}\n`);
