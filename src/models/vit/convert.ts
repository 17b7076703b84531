/**
 * Checkpoint keys -> the vision transformer's: the Hugging Face CLIP vision layout is the
 * module's own, but older checkpoints also store a `position_ids` buffer (an arange).
 */

/** True for a stored `position_ids` buffer, which the model does not keep. */
export function isPositionIdsBuffer(key: string): boolean {
  return key.endsWith(".position_ids");
}
