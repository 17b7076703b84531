/**
 * Training curves as a picture: panels of line charts drawn as SVG by hand (a few dozen
 * lines, no plotting library), saved as curves.svg, curves.png (rendered by sharp) and a
 * self-contained curves.html, so a run can be looked at in a browser or an image viewer.
 */
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";

export interface Series {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
}

export interface Panel {
  title: string;
  xLabel: string;
  series: Series[];
  /** Plot y on a log scale (losses that fall over orders of magnitude). */
  logY?: boolean;
}

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];
const W = 460;
const H = 260;
const M = { left: 56, right: 14, top: 30, bottom: 40 };

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const step = 10 ** Math.floor(Math.log10(raw));
  const unit = [1, 2, 5, 10].map((m) => m * step).find((s) => raw <= s) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / unit) * unit; v <= hi + unit * 1e-9; v += unit) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);
}

function formatTick(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(0) : String(Number(v.toPrecision(3)));
}

function panelSvg(p: Panel, ox: number, oy: number): string {
  // A point can be drawn when it is finite and, on a log axis, positive.
  const plottable = ([x, y]: readonly [number, number]) => Number.isFinite(x) && Number.isFinite(y) && (!p.logY || y > 0);
  const pts = p.series.flatMap((s) => s.points).filter(plottable);
  const out: string[] = [`<g transform="translate(${ox},${oy})">`];
  out.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(p.title)}</text>`);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  if (pts.length === 0) {
    out.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="12" fill="#777">no data yet</text></g>`);
    return out.join("");
  }
  const ty = (y: number) => (p.logY ? Math.log10(y) : y);
  let [x0, x1] = [Math.min(...pts.map((q) => q[0])), Math.max(...pts.map((q) => q[0]))];
  let [y0, y1] = [Math.min(...pts.map((q) => ty(q[1]))), Math.max(...pts.map((q) => ty(q[1])))];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const sx = (x: number) => M.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number) => M.top + ph - ((ty(y) - y0) / (y1 - y0)) * ph;
  for (const t of niceTicks(x0, x1)) {
    out.push(`<line x1="${sx(t)}" y1="${M.top + ph}" x2="${sx(t)}" y2="${M.top + ph + 4}" stroke="#666"/>`);
    out.push(`<text x="${sx(t)}" y="${M.top + ph + 16}" text-anchor="middle" font-size="10">${formatTick(t)}</text>`);
  }
  for (const t of niceTicks(y0, y1)) {
    const y = M.top + ph - ((t - y0) / (y1 - y0)) * ph;
    out.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${y + 3}" text-anchor="end" font-size="10">${formatTick(p.logY ? 10 ** t : t)}</text>`);
  }
  out.push(`<text x="${M.left + pw / 2}" y="${H - 6}" text-anchor="middle" font-size="11" fill="#444">${escapeXml(p.xLabel)}</text>`);
  const drawn: Array<readonly [number, number]> = [];
  p.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const screen = s.points.filter(plottable).map(([x, y]) => [sx(x), sy(y)] as const);
    drawn.push(...screen);
    if (screen.length === 1) {
      out.push(`<circle cx="${screen[0][0]}" cy="${screen[0][1]}" r="3" fill="${color}"/>`);
    } else if (screen.length > 1) {
      const d = screen.map(([x, y], j) => `${j ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`).join("");
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.6"/>`);
      if (screen.length < 30) for (const [x, y] of screen) out.push(`<circle cx="${x}" cy="${y}" r="2.5" fill="${color}"/>`);
    }
  });
  // The legend goes in the corner with the fewest points under it (matplotlib's loc="best"),
  // on a translucent backing so that it stays readable where a curve still passes under it.
  const boxW = 24 + 6 * Math.max(0, ...p.series.map((s) => s.name.length));
  const boxH = p.series.length * 14 + 4;
  const corners = [[M.left + 4, M.top + 3], [M.left + pw - 4 - boxW, M.top + 3], [M.left + 4, M.top + ph - 3 - boxH], [M.left + pw - 4 - boxW, M.top + ph - 3 - boxH]];
  // Points count a little beyond the box too: the line between them passes under it.
  const near = 10;
  const under = ([bx, by]: number[]) => drawn.filter(([x, y]) => x >= bx - near && x <= bx + boxW + near && y >= by - near && y <= by + boxH + near).length;
  const [lx, ly] = corners.reduce((best, c) => (under(c) < under(best) ? c : best));
  out.push(`<rect x="${lx}" y="${ly}" width="${boxW}" height="${boxH}" fill="white" fill-opacity="0.85"/>`);
  p.series.forEach((s, i) => {
    out.push(`<rect x="${lx + 4}" y="${ly + 5 + i * 14}" width="10" height="3" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly + 9 + i * 14}" font-size="10">${escapeXml(s.name)}</text>`);
  });
  out.push("</g>");
  return out.join("");
}

/** All panels in a grid of two columns, as one SVG document. */
export function curvesSvg(title: string, panels: readonly Panel[]): string {
  const cols = Math.min(2, Math.max(1, panels.length));
  const rows = Math.ceil(panels.length / cols);
  const width = cols * W;
  const height = rows * H + 30;
  const body = panels.map((p, i) => panelSvg(p, (i % cols) * W, 30 + Math.floor(i / cols) * H)).join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${escapeXml(title)}</text>${body}</svg>`;
}

function writeAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Writes curves.svg, curves.png and curves.html into `dir`; returns the PNG's path. */
export async function writeCurves(dir: string, title: string, panels: readonly Panel[]): Promise<string> {
  const svg = curvesSvg(title, panels);
  writeAtomic(join(dir, "curves.svg"), svg);
  writeAtomic(join(dir, "curves.html"), `<!doctype html><meta charset="utf-8"><title>${escapeXml(title)}</title><body style="margin:0">${svg}</body>`);
  const png = join(dir, "curves.png");
  writeAtomic(png, await sharp(Buffer.from(svg)).png().toBuffer());
  return png;
}
