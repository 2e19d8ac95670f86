// Preloaded with --import where /usr/bin/time is missing: writes this process's peak RSS (KiB) to $BENCH_RSS_FILE at exit.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS));
});
