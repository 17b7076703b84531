import type { ZipReader } from "./zip.js";

/**
 * TorchScript archives (`torch.jit.save`, e.g. OpenAI's CLIP `ViT-B-32.pt`) pickle the module
 * tree itself in `data.pkl`: each module is a `__torch__.*` class instance whose attribute dict
 * holds its parameters, buffers, submodules and plain attributes alike. Which attributes belong
 * in a state dict is declared only in the module's compiled source, `code/__torch__/<module
 * path>.py`, as `__parameters__ = [...]` and `__buffers__ = [...]` lines of its class. Reading
 * those two lines is enough: nothing else in the code is looked at, let alone run.
 */

/** The attributes of a TorchScript class that a state dict holds. */
export interface ModuleSlots {
  parameters: readonly string[];
  buffers: readonly string[];
}

/**
 * Looks up the declared parameters and buffers of a TorchScript class such as
 * `__torch__.torch.nn.modules.conv.Conv2d`. Undefined when the archive has no source for it
 * (stripped archives); callers then keep every tensor attribute.
 */
export function torchScriptSlots(zip: ZipReader, archive: string): (className: string) => ModuleSlots | undefined {
  const sources = new Map<string, string | undefined>();
  const decoder = new TextDecoder();
  return (className) => {
    const dot = className.lastIndexOf(".");
    const module = className.slice(0, dot);
    const name = className.slice(dot + 1);
    const file = `${archive}/code/${module.replaceAll(".", "/")}.py`;
    if (!sources.has(file)) sources.set(file, zip.entries.has(file) ? decoder.decode(zip.readEntry(file)) : undefined);
    const source = sources.get(file);
    if (source === undefined) return undefined;
    const start = source.search(new RegExp(`^class ${escape(name)}\\(`, "m"));
    if (start < 0) return undefined;
    const next = source.slice(start + 1).search(/^class /m);
    const body = next < 0 ? source.slice(start) : source.slice(start, start + 1 + next);
    const parameters = declared(body, "__parameters__");
    const buffers = declared(body, "__buffers__");
    // A class without the declarations is one we cannot read; keeping every tensor beats
    // silently returning an empty state dict.
    return parameters && buffers ? { parameters, buffers } : undefined;
  };
}

function declared(body: string, field: string): string[] | undefined {
  const list = new RegExp(`^\\s+${field} = \\[([^\\]]*)\\]`, "m").exec(body);
  return list ? [...list[1].matchAll(/"([^"]*)"/g)].map((m) => m[1]) : undefined;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
