// Loaded with -r by `npm run bench`: reports the process's peak resident memory when it exits.
process.on('exit', () => {
  process.stderr.write(`\nBENCH_MAX_RSS_KB=${process.resourceUsage().maxRSS}\n`);
});
