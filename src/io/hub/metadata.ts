import { HubError } from "../../errors.js";
import { request, statusError, type HttpConfig, type RequestContext } from "./http.js";

/** What a HEAD on `/resolve/` tells about one file, as huggingface_hub's HfFileMetadata. */
export interface FileMetadata {
  /** The commit the revision resolved to (`X-Repo-Commit`). */
  commit: string;
  /** Git blob sha1 for small files, sha256 of the content for LFS files: the blob's name. */
  etag: string;
  /** Size of the real content (for LFS, not of the pointer file). */
  size: number;
  /** Where to GET the bytes: the CDN URL for LFS files, else the resolve URL itself. */
  location: string;
}

/** `W/"abc"` -> `abc`: weak validators and quotes are not part of the blob name. */
function normalizeEtag(etag: string): string {
  return etag.replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
}

/**
 * HEAD the resolve URL without following the redirect to the CDN: the Hub's 302 itself carries
 * `X-Linked-Etag` and `X-Linked-Size` (the LFS object, where `ETag`/`Content-Length` describe the
 * redirect), and its `Location` is where the bytes will be fetched, without the token.
 * `Accept-Encoding: identity` keeps Content-Length the size of the file, not of a gzip of it.
 */
export async function fileMetadata(url: string, config: HttpConfig, context: RequestContext): Promise<FileMetadata> {
  const { response, url: finalUrl } = await request(url, config, {
    method: "HEAD",
    headers: { "accept-encoding": "identity" },
    crossOriginRedirects: false,
  });
  const redirected = response.status >= 300 && response.status < 400;
  if (!response.ok && !redirected) throw statusError(response, finalUrl, context);

  const header = (name: string) => response.headers.get(name) ?? undefined;
  const commit = header("x-repo-commit");
  const etag = header("x-linked-etag") ?? header("etag");
  const size = Number(header("x-linked-size") ?? header("content-length") ?? NaN);
  const missing = !commit ? "X-Repo-Commit" : !etag ? "ETag" : !Number.isSafeInteger(size) || size < 0 ? "a size" : undefined;
  if (missing) {
    throw new HubError(`${context.repo}: "${context.file}": no ${missing} header from ${finalUrl} (is HF_ENDPOINT a Hugging Face Hub?)`, {
      url: finalUrl,
    });
  }
  // The etag becomes a file name under blobs/: a server must not be able to aim it elsewhere.
  const blobName = normalizeEtag(etag!);
  if (!/^[\w-][\w.-]*$/.test(blobName)) {
    throw new HubError(`${context.repo}: "${context.file}": unusable ETag ${JSON.stringify(etag)} from ${finalUrl}`, { url: finalUrl });
  }
  return {
    commit: commit!,
    etag: blobName,
    size,
    location: redirected ? new URL(header("location")!, finalUrl).toString() : finalUrl,
  };
}
