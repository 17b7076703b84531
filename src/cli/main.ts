/**
 * The `vlm` command line: argv -> typed options -> one library call per command. Errors that
 * the toolkit names (VlmError) print as one line; anything else is a bug and prints its stack
 * only with VLM_DEBUG=1.
 */
import { Command, CommanderError } from "commander";
import { VlmError } from "../errors.js";
import { registerAsk } from "./commands/ask.js";
import { registerChat } from "./commands/chat.js";
import { registerClassify } from "./commands/classify.js";
import { registerData } from "./commands/data.js";
import { registerDemo } from "./commands/demo.js";
import { registerEmbed } from "./commands/embed.js";
import { registerEval } from "./commands/eval.js";
import { registerGenerate } from "./commands/generate.js";
import { registerTokenize } from "./commands/tokenize.js";
import { registerTrain } from "./commands/train.js";

export function buildProgram(): Command {
  const program = new Command("vlm")
    .description("Vision-language models on Node.js: classify, embed, search and ask about images; train and evaluate.")
    .version("0.1.0", "-v, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  registerClassify(program);
  registerEmbed(program);
  registerTokenize(program);
  registerData(program);
  registerDemo(program);
  registerTrain(program);
  registerEval(program);
  registerAsk(program);
  registerChat(program);
  registerGenerate(program);
  return program;
}

/**
 * `vlm ... | head` closes stdout early: that is the reader being done, not an error, so the
 * process ends quietly (as `cat` does) instead of dying with an unhandled EPIPE.
 */
function endQuietlyWhenStdoutCloses(): void {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

export async function main(argv: string[]): Promise<void> {
  endQuietlyWhenStdoutCloses();
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

/** Prints an error for a person and returns the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander already printed the message (or the help/version text).
    return err.exitCode;
  }
  if (err instanceof VlmError) {
    console.error(`vlm: ${err.message}`);
    if (process.env.VLM_DEBUG) console.error(err.stack);
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  console.error(`vlm: unexpected error: ${message}`);
  if (process.env.VLM_DEBUG) console.error(err instanceof Error ? err.stack : err);
  else console.error("vlm: set VLM_DEBUG=1 to see the stack trace, and please report it.");
  return 1;
}
