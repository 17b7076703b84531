/**
 * Chat templates: the Jinja programs that Hugging Face model folders ship to turn a list of
 * messages into the prompt text the model was trained on. Rendered with @huggingface/jinja,
 * an implementation written for exactly these templates (transformers' own filters and tests,
 * `raise_exception`, the `{% generation %}` markers).
 */
import { Template } from "@huggingface/jinja";
import { TokenizerError } from "../errors.js";

/** A content block of a multimodal message, as transformers' processors take them. */
export type ChatContent = { type: "text"; text: string } | { type: "image" };

export interface ChatMessage {
  role: "system" | "user" | "assistant" | (string & {});
  /** Plain text, or blocks (images stand where their placeholder goes). */
  content: string | ChatContent[];
}

export interface ChatTemplateOptions {
  /** End with the assistant's turn opened, so the model writes the answer (default true). */
  addGenerationPrompt?: boolean;
  /** Other variables the template reads (bos_token, eos_token, ... are filled in by the caller). */
  variables?: Record<string, unknown>;
}

/** A template compiled once; parse errors name where the template came from. */
export class ChatTemplate {
  private readonly template: Template;

  constructor(
    readonly source: string,
    /** Where it came from (a file name), for error messages. */
    readonly origin: string,
  ) {
    try {
      this.template = new Template(source);
    } catch (err) {
      throw new TokenizerError(`${origin}: the chat template does not parse: ${(err as Error).message}`);
    }
  }

  /**
   * @example
   * new ChatTemplate("{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}", "inline")
   *   .render([{ role: "user", content: "hi" }], { addGenerationPrompt: false }); // "user: hi\n"
   */
  render(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    try {
      return this.template.render({
        ...options.variables,
        messages: messages as unknown as Record<string, unknown>[],
        add_generation_prompt: options.addGenerationPrompt ?? true,
      });
    } catch (err) {
      // Templates reject conversations they do not support (raise_exception): say which template.
      throw new TokenizerError(`${this.origin}: the chat template failed: ${(err as Error).message}`);
    }
  }
}
