import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ArgumentError } from "../../errors.js";
import { DEFAULT_ENDPOINT, hubSettings } from "./env.js";
import { checkRepoId, checkRevision, isRepoId, repoFolderName, resolveUrl } from "./repo-id.js";

describe("hubSettings", () => {
  it("cache: HF_HUB_CACHE, else HF_HOME/hub, else XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub", () => {
    assert.equal(hubSettings({ env: { HF_HUB_CACHE: "/c", HF_HOME: "/h" } }).cacheDir, "/c");
    assert.equal(hubSettings({ env: { HF_HOME: "/h", XDG_CACHE_HOME: "/x" } }).cacheDir, "/h/hub");
    assert.equal(hubSettings({ env: { XDG_CACHE_HOME: "/x", HOME: "/home/u" } }).cacheDir, "/x/huggingface/hub");
    assert.equal(hubSettings({ env: { HOME: "/home/u" } }).cacheDir, "/home/u/.cache/huggingface/hub");
    assert.equal(hubSettings({ env: { HF_HOME: "/h" }, cacheDir: "/opt" }).cacheDir, "/opt");
  });

  it("endpoint: option, else HF_ENDPOINT (trailing slash dropped), else huggingface.co", () => {
    assert.equal(hubSettings({ env: {} }).endpoint, DEFAULT_ENDPOINT);
    assert.equal(hubSettings({ env: { HF_ENDPOINT: "https://mirror.example/" } }).endpoint, "https://mirror.example");
    assert.equal(hubSettings({ env: { HF_ENDPOINT: "https://a" }, endpoint: "https://b" }).endpoint, "https://b");
  });

  it("HF_HUB_OFFLINE accepts huggingface_hub's truthy spellings only", () => {
    for (const v of ["1", "ON", "yes", "True"]) assert.equal(hubSettings({ env: { HF_HUB_OFFLINE: v } }).offline, true, v);
    for (const v of ["0", "", "off", "false", undefined]) assert.equal(hubSettings({ env: { HF_HUB_OFFLINE: v } }).offline, false, String(v));
    assert.equal(hubSettings({ env: { HF_HUB_OFFLINE: "1" }, offline: false }).offline, false);
  });

  it("token: HF_TOKEN, else HF_TOKEN_PATH, else $HF_HOME/token, else none", () => {
    const home = mkdtempSync(join(tmpdir(), "vlm-hf-home-"));
    assert.equal(hubSettings({ env: { HF_HOME: home } }).token, undefined);
    writeFileSync(join(home, "token"), "hf_fromfile\n");
    assert.equal(hubSettings({ env: { HF_HOME: home } }).token, "hf_fromfile");
    const other = join(home, "other-token");
    writeFileSync(other, "hf_frompath");
    assert.equal(hubSettings({ env: { HF_HOME: home, HF_TOKEN_PATH: other } }).token, "hf_frompath");
    assert.equal(hubSettings({ env: { HF_HOME: home, HF_TOKEN: "hf_env" } }).token, "hf_env");
    assert.equal(hubSettings({ env: { HF_HOME: home }, token: "hf_opt" }).token, "hf_opt");
  });
});

describe("repo ids and revisions", () => {
  it("accepts org/name ids and names their cache folder", () => {
    for (const id of ["openai/clip-vit-base-patch32", "llava-hf/llava-1.5-7b-hf", "a_b/c.d", "Org1/M_2"]) assert.ok(isRepoId(id), id);
    assert.equal(repoFolderName("openai/clip-vit-base-patch32"), "models--openai--clip-vit-base-patch32");
  });

  it("rejects malformed ids with one line quoting the id", () => {
    for (const id of ["gpt2", "a/b/c", "a--b/c", "a/b..c", "a/b.git", "a b/c", "/c", "a/", "-a/b", "a/b-", "x".repeat(97) + "/y"]) {
      assert.throws(
        () => checkRepoId(id),
        (e) => e instanceof ArgumentError && e.message.includes(`"${id}"`) && !e.message.includes("\n"),
        id,
      );
    }
  });

  it("rejects revisions that would leave refs/", () => {
    for (const rev of ["", "../x", "a/../../b", "/abs", "a//b"]) assert.throws(() => checkRevision(rev), ArgumentError, rev);
    checkRevision("refs/pr/1");
  });

  it("encodes the revision as one path segment and keeps the file's folders", () => {
    assert.equal(resolveUrl("https://h", "o/n", "refs/pr/1", "sub dir/a#b.json"), "https://h/o/n/resolve/refs%2Fpr%2F1/sub%20dir/a%23b.json");
  });
});
