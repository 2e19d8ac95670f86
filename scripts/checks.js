// npm test's checks after the build, at once: the type check (tsc, about a core and a half) beside Biome, publint
// and attw one after another (about one core). Measured on two cores: 20 s one after another, 15 s at once. Each
// check's output is printed whole when all have ended, in the order below, under its `npm run` line; the exit code
// is the first failed check's, and a failed lint skips the package check as `&&` did.
import { spawn } from 'node:child_process';

/** `npm run <script>`, its stdout and stderr kept together in the order they came. */
function run(script) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32',
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('error', (err) => resolve({ script, code: 1, output: `${err.message}\n` }));
    child.on('close', (code, signal) => resolve({ script, code: code ?? (signal ? 1 : 0), output }));
  });
}

async function oneAfterAnother(scripts) {
  const results = [];
  for (const script of scripts) {
    const result = await run(script);
    results.push(result);
    if (result.code !== 0) break;
  }
  return results;
}

const [typecheck, rest] = await Promise.all([run('typecheck'), oneAfterAnother(['lint', 'check:package'])]);
let exitCode = 0;
for (const { script, code, output } of [typecheck, ...rest]) {
  process.stdout.write(`> npm run ${script}${code === 0 ? '' : ` (exit ${code})`}\n${output}`);
  if (code !== 0 && exitCode === 0) exitCode = code;
}
process.exitCode = exitCode;
