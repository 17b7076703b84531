/**
 * What a person watching a training run sees on stderr, drawn from the trainer's callbacks: a
 * cli-progress bar (loss, lr, the trainer's own numbers, throughput, ETA) redrawn in place on a
 * terminal; on anything else (a log file, CI) a plain line every few steps, so logs stay free
 * of control characters.
 */
import cliProgress from "cli-progress";
import type { RunStart, StepReport } from "../../train/progress.js";
import { formatDuration } from "./format.js";

/** One of the trainer's step metrics, as the bar shows it. */
export interface ShownMetric {
  key: string;
  label: string;
  digits: number;
}

export interface TrainBarOptions {
  /** Draw a bar (a terminal); otherwise plain lines every `logEvery` steps. */
  bar: boolean;
  logEvery: number;
  /** The trainer's step metrics to show, e.g. CLIP's logit scale as "exp(t)". */
  metrics: readonly ShownMetric[];
  /** Throughput unit, e.g. "img/s". */
  unit: string;
  stream?: NodeJS.WriteStream;
}

export class TrainBar {
  private bar: cliProgress.SingleBar | null = null;
  private readonly stream: NodeJS.WriteStream;
  private startedAt = Date.now();
  private startStep = 0;
  private totalSteps = 0;

  constructor(private readonly options: TrainBarOptions) {
    this.stream = options.stream ?? process.stderr;
  }

  start(s: RunStart): void {
    this.startedAt = Date.now();
    this.startStep = s.step;
    this.totalSteps = s.totalSteps;
    if (!this.options.bar) return;
    const shown = this.options.metrics.map((m, i) => `| ${m.label} {m${i}} `).join("");
    this.bar = new cliProgress.SingleBar({
      stream: this.stream,
      format: `train |{bar}| {value}/{total} | loss {loss} | lr {lr} ${shown}| {rate} ${this.options.unit} | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
      barsize: 24,
    }, cliProgress.Presets.shades_classic);
    this.bar.start(s.totalSteps, s.step, { loss: "-", lr: "-", rate: "-", ...Object.fromEntries(this.options.metrics.map((_, i) => [`m${i}`, "-"])) });
  }

  step(r: StepReport): void {
    const shown = this.options.metrics.map((m) => r.metrics[m.key].toFixed(m.digits));
    if (this.bar) {
      this.bar.update(r.step, {
        loss: r.loss.toFixed(4), lr: r.lr.toExponential(2), rate: r.samplesPerSecond.toFixed(1), ...Object.fromEntries(shown.map((v, i) => [`m${i}`, v])),
      });
      return;
    }
    if (r.step % this.options.logEvery !== 0 && r.step !== this.totalSteps) return;
    const done = r.step - this.startStep;
    const seconds = (Date.now() - this.startedAt) / 1000;
    const eta = done > 0 ? ((this.totalSteps - r.step) * seconds) / done : NaN;
    const metrics = this.options.metrics.map((m, i) => `${m.label} ${shown[i]}  `).join("");
    this.log(
      `step ${r.step}/${this.totalSteps}  loss ${r.loss.toFixed(4)}  lr ${r.lr.toExponential(2)}  ${metrics}` +
        `${r.samplesPerSecond.toFixed(1)} ${this.options.unit}  ETA ${formatDuration(eta)}`,
    );
  }

  /** A line above the bar (evaluation results, skipped samples). */
  log(line: string): void {
    if (this.bar) {
      // cli-progress has no "print above": clear the bar's line, write, and let it redraw.
      this.stream.write(`\r\x1b[K${line}\n`);
      this.bar.render();
    } else {
      this.stream.write(`${line}\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}
