/**
 * Peak resident memory of this process over a phase of the files benchmark:
 * sampled every RSS_SAMPLE_MS (process.memoryUsage.rss), reset between
 * phases.
 */

/** How often the resident size is sampled. */
const RSS_SAMPLE_MS = 20;
const MB = 1_000_000;

/** RSS at the start of a phase and its peak since, in MB. */
export interface RssPeaks {
  /** RSS when the phase began. */
  readonly startMB: number;
  readonly phaseMB: number;
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
      return { startMB: start / MB, phaseMB: peak / MB };
    },
    reset: () => {
      start = process.memoryUsage.rss();
      peak = start;
    },
    stop: () => clearInterval(timer),
  };
}
