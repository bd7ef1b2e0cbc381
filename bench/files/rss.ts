/**
 * Peak resident memory of this process over a phase of the files benchmark:
 * sampled every RSS_SAMPLE_MS (process.memoryUsage.rss), reset between
 * phases; the process's lifetime peak (getrusage maxrss) beside it.
 */

/** How often the resident size is sampled. */
const RSS_SAMPLE_MS = 20;
const MB = 1_000_000;

/** Peak RSS of a phase and of the process's life, in MB. */
export interface RssPeaks {
  /** RSS when the phase began. */
  readonly startMB: number;
  readonly phaseMB: number;
  readonly lifetimeMB: number;
}

/** Starts sampling; `peaks()` reads the phase's peak, `reset()` starts a new phase, `stop()` ends sampling. */
export function sampleRss(): { peaks(): RssPeaks; reset(): void; stop(): void } {
  let start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, RSS_SAMPLE_MS);
  timer.unref();
  return {
    peaks: () => {
      peak = Math.max(peak, process.memoryUsage.rss());
      return { startMB: start / MB, phaseMB: peak / MB, lifetimeMB: (process.resourceUsage().maxRSS * 1024) / MB };
    },
    reset: () => {
      start = process.memoryUsage.rss();
      peak = start;
    },
    stop: () => clearInterval(timer),
  };
}
