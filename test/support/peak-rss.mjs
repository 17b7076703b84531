// Preloaded into a child process (node --import) by tests that bound memory: at exit it writes
// the process's peak resident set size, in KiB, to the file VLM_TEST_PEAK_RSS_FILE names.
import { writeFileSync } from "node:fs";

const file = process.env.VLM_TEST_PEAK_RSS_FILE;
if (file) process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
