/**
 * What a person watching a run sees on stderr: a cli-progress bar (loss, lr, logit scale,
 * images/s, ETA) redrawn in place on a terminal; on anything else (a log file, CI) a plain line
 * every few steps, so logs stay free of control characters.
 */
import cliProgress from "cli-progress";
import { formatDuration } from "../../io/hub/tty-progress.js";

export interface StepReport {
  step: number;
  loss: number;
  lr: number;
  logitScale: number;
  imagesPerSecond: number;
}

export class TrainProgress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly startedAt = Date.now();
  private readonly startStep: number;

  constructor(
    private readonly totalSteps: number,
    startStep: number,
    private readonly options: { enabled: boolean; logEvery: number; stream?: NodeJS.WriteStream },
  ) {
    this.startStep = startStep;
    const stream = options.stream ?? process.stderr;
    this.bar = options.enabled
      ? new cliProgress.SingleBar({
          stream,
          format: "train |{bar}| {value}/{total} | loss {loss} | lr {lr} | exp(t) {scale} | {ips} img/s | ETA {eta_formatted}",
          hideCursor: true,
          etaBuffer: 50,
          barsize: 24,
        }, cliProgress.Presets.shades_classic)
      : null;
    this.bar?.start(totalSteps, startStep, { loss: "-", lr: "-", scale: "-", ips: "-" });
  }

  update(r: StepReport): void {
    if (this.bar) {
      this.bar.update(r.step, { loss: r.loss.toFixed(4), lr: r.lr.toExponential(2), scale: r.logitScale.toFixed(2), ips: r.imagesPerSecond.toFixed(1) });
      return;
    }
    if (r.step % this.options.logEvery !== 0 && r.step !== this.totalSteps) return;
    const done = r.step - this.startStep;
    const seconds = (Date.now() - this.startedAt) / 1000;
    const eta = done > 0 ? ((this.totalSteps - r.step) * seconds) / done : NaN;
    this.log(
      `step ${r.step}/${this.totalSteps}  loss ${r.loss.toFixed(4)}  lr ${r.lr.toExponential(2)}  exp(t) ${r.logitScale.toFixed(2)}  ` +
        `${r.imagesPerSecond.toFixed(1)} img/s  ETA ${formatDuration(eta)}`,
    );
  }

  /** A line above the bar (evaluation results, skipped images). */
  log(line: string): void {
    const stream = this.options.stream ?? process.stderr;
    if (this.bar) {
      // cli-progress has no "print above": clear the bar's line, write, and let it redraw.
      stream.write(`\r\x1b[K${line}\n`);
      this.bar.render();
    } else {
      stream.write(`${line}\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}
