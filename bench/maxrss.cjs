// Preloaded into a measured process: report its peak resident memory when it exits.
const fs = require('node:fs');
process.on('exit', () => {
  const file = process.env.BLUEHOOK_BENCH_RSS_FILE;
  if (file) fs.writeFileSync(file, String(process.resourceUsage().maxRSS * 1024));
});
