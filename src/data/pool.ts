import { Worker } from "node:worker_threads";
import { VlmError } from "../errors.js";

interface Job<In, Out> {
  task: In;
  resolve: (value: Out) => void;
  reject: (err: unknown) => void;
}

interface Slot<In, Out> {
  worker: Worker;
  job: Job<In, Out> | null;
}

/**
 * A fixed set of worker threads, one task at a time each, FIFO. Results come back in
 * completion order; callers that need a fixed order keep their own promises in order.
 *
 * Idle workers are unref'd, so a pool that was never closed does not keep the process alive;
 * `close()` ends them at once. A worker that dies fails its task and is replaced.
 */
export class WorkerPool<In, Out> {
  private readonly slots: Slot<In, Out>[] = [];
  private readonly queue: Job<In, Out>[] = [];
  private closed = false;

  constructor(
    private readonly file: URL,
    size: number,
    private readonly workerData: unknown,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  get size(): number {
    return this.slots.length;
  }

  run(task: In): Promise<Out> {
    if (this.closed) return Promise.reject(new VlmError("E_POOL_CLOSED", "worker pool is closed"));
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ task, resolve, reject });
      this.dispatch();
    });
  }

  /** Terminates every worker; queued and running tasks are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new VlmError("E_POOL_CLOSED", "worker pool closed while tasks were pending");
    for (const job of this.queue.splice(0)) job.reject(error);
    // terminate()'s promise does not keep the event loop alive by itself (seen on Node 20 with
    // workers that were unref'd while idle): a process whose last pending work was this close()
    // exited mid-await with code 13 (unsettled top-level await) before the workers' exit events.
    const keepAlive = setInterval(() => undefined, 1000);
    try {
      await Promise.all(
        this.slots.map(async (slot) => {
          slot.job?.reject(error);
          slot.job = null;
          await slot.worker.terminate();
        }),
      );
    } finally {
      clearInterval(keepAlive);
    }
  }

  private spawn(): Slot<In, Out> {
    const slot: Slot<In, Out> = { worker: startWorker(this.file, this.workerData), job: null };
    slot.worker.unref();
    slot.worker.on("message", (result: Out) => {
      const job = slot.job;
      slot.job = null;
      slot.worker.unref();
      job?.resolve(result);
      this.dispatch();
    });
    // 'error' is followed by 'exit': only the first replaces the worker.
    const fail = (err: unknown): void => {
      const index = this.slots.indexOf(slot);
      if (this.closed || index < 0) return;
      slot.job?.reject(err);
      slot.job = null;
      void slot.worker.terminate();
      this.slots[index] = this.spawn();
      this.dispatch();
    };
    slot.worker.on("error", fail);
    slot.worker.on("exit", (code) => fail(new VlmError("E_WORKER_EXIT", `decode worker exited with code ${code}`)));
    return slot;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.job) continue;
      slot.job = this.queue.shift()!;
      slot.worker.ref();
      slot.worker.postMessage(slot.job.task);
    }
  }
}

/**
 * Runs from the TypeScript sources (tests, `node --import tsx`) start a worker whose module is
 * a .ts file, which Node 20 will not load in a worker even when the parent has tsx's hooks:
 * there the worker registers tsx itself before importing its module.
 */
function startWorker(file: URL, workerData: unknown): Worker {
  if (!file.pathname.endsWith(".ts")) return new Worker(file, { workerData });
  const tsx = JSON.stringify(import.meta.resolve("tsx/esm/api"));
  const bootstrap = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
