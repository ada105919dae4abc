/** The last line a one-shot program prints: what it cost this process, for cold-start.ts. */
export function report() {
  const usage = process.resourceUsage();
  process.stderr.write(
    `${JSON.stringify({
      cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
      maxRssMiB: usage.maxRSS / 1024,
    })}\n`,
  );
}
