/**
 * `--timeline`: collects trace events (bounded: past a cap, further spans
 * and exits are counted but not kept) and draws them as one self-contained
 * SVG: a track per guest level (and one for interrupt lines if any
 * changed), run spans as bars nested by depth, VM exits as ticks coloured
 * by basic reason (L2->L1 exits reach above their track; exits on the same
 * half pixel with the same reason share a tick whose tooltip counts them),
 * a virtual-time axis and a legend with counts.
 *
 * @module
 */

import type { ExitEvent, IrqEvent, SpanEvent, TraceEvent, TraceSink, Track } from "./events.ts";

/** Most spans kept for drawing. */
const MAX_SPANS = 20_000;
/** Most exits kept for drawing. */
const MAX_EXITS = 50_000;

const WIDTH = 1200;
const LEFT = 110;
const RIGHT = 20;
const TRACK_H = 64;
const TRACK_GAP = 18;
const TOP = 56;

/** Distinct colours for the most frequent reasons; the rest are grey. */
const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#17becf",
  "#bcbd22",
  "#393b79",
  "#637939",
  "#843c39",
  "#7b4173",
  "#e7ba52",
  "#3182bd",
  "#31a354",
  "#e6550d",
  "#756bb1",
  "#636363",
  "#9c9ede",
  "#cedb9c",
  "#e7969c",
  "#6baed6",
  "#fd8d3c",
];
const OTHER = "#7f7f7f";

const SPAN_FILL: Readonly<Record<string, string>> = {
  "L1": "#dbe9f6",
  "L2 run": "#fde2c4",
  "in L2": "#e4e4e4",
};

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

/** A "nice" axis step (1, 2 or 5 times a power of ten) for about `target` ticks. */
export function niceStep(range: number, target = 10): number {
  if (!(range > 0)) return 1;
  const raw = range / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/** Collects events and renders the SVG. */
export class TimelineCollector implements TraceSink {
  readonly #spans: SpanEvent[] = [];
  readonly #exits: ExitEvent[] = [];
  readonly #irqs: IrqEvent[] = [];
  readonly #reasonCounts = new Map<string, number>();
  #entries = 0;
  #dropped = 0;
  #t0 = Infinity;
  #t1 = -Infinity;

  #time(t: number): void {
    if (t < this.#t0) this.#t0 = t;
    if (t > this.#t1) this.#t1 = t;
  }

  /** {@link TraceSink.event}. */
  event(e: TraceEvent): void {
    switch (e.kind) {
      case "span":
        this.#time(e.start);
        this.#time(e.end);
        if (this.#spans.length < MAX_SPANS) this.#spans.push(e);
        else this.#dropped++;
        break;
      case "exit":
        this.#time(e.time);
        this.#reasonCounts.set(e.reasonName, (this.#reasonCounts.get(e.reasonName) ?? 0) + 1);
        if (this.#exits.length < MAX_EXITS) this.#exits.push(e);
        else this.#dropped++;
        break;
      case "entry":
        this.#entries++;
        break;
      case "irq":
        this.#time(e.time);
        if (e.level && this.#irqs.length < MAX_EXITS) this.#irqs.push(e);
        break;
      case "counter":
        break;
    }
  }

  /** {@link TraceSink.finish} (nothing to flush: {@link render} draws). */
  finish(): void {}

  /** The SVG document. */
  render(): string {
    const tracks: Track[] = this.#irqs.length > 0 ? ["L1", "L2", "IRQ"] : ["L1", "L2"];
    const colours = new Map<string, string>();
    const byCount = [...this.#reasonCounts.entries()].sort((a, b) => b[1] - a[1]);
    byCount.forEach(([name], i) => colours.set(name, PALETTE[i] ?? OTHER));
    const t0 = Number.isFinite(this.#t0) ? this.#t0 : 0;
    const t1 = this.#t1 > t0 ? this.#t1 : t0 + 1;
    const plotW = WIDTH - LEFT - RIGHT;
    const x = (t: number) => LEFT + (t - t0) / (t1 - t0) * plotW;
    const trackY = (t: Track) => TOP + tracks.indexOf(t) * (TRACK_H + TRACK_GAP);
    const axisY = TOP + tracks.length * (TRACK_H + TRACK_GAP);
    const legendRows = Math.ceil(byCount.length / 4);
    const height = axisY + 50 + legendRows * 20 + 30;
    const out: string[] = [];
    const f = (n: number) => n.toFixed(2);
    out.push(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" ` +
        `viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
      `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
      `<text x="${LEFT}" y="22" font-size="16" font-weight="bold">nestvm timeline</text>`,
      `<text x="${LEFT}" y="40" fill="#444">` +
        `${[...this.#reasonCounts.values()].reduce((a, b) => a + b, 0)} VM exits, ` +
        `${this.#entries} VM entries, virtual time ${f((t1 - t0) / 1000)} µs` +
        (this.#dropped > 0 ? ` (${this.#dropped} not drawn)` : "") + `</text>`,
    );
    for (const t of tracks) {
      const y = trackY(t);
      out.push(
        `<rect x="${LEFT}" y="${y}" width="${plotW}" height="${TRACK_H}" fill="#fafafa" stroke="#ccc"/>`,
        `<text x="${LEFT - 10}" y="${y + TRACK_H / 2 + 4}" text-anchor="end" font-weight="bold">${
          t === "IRQ" ? "IRQ lines" : `${t} guest`
        }</text>`,
      );
    }
    // Outer spans first (they close last, so they arrive last).
    const spans = [...this.#spans].sort((a, b) => a.depth - b.depth);
    for (const s of spans) {
      const y = trackY(s.track) + 6 + s.depth * 10;
      const h = TRACK_H - 12 - s.depth * 20;
      const fill = SPAN_FILL[s.name] ?? "#d9f0d3";
      const w = Math.max(0.5, x(s.end) - x(s.start));
      out.push(
        `<rect x="${f(x(s.start))}" y="${y}" width="${f(w)}" height="${Math.max(4, h)}" ` +
          `fill="${fill}" stroke="#999" stroke-width="0.5"><title>${esc(s.name)}: ${
            f((s.end - s.start) / 1000)
          } µs virtual, ${f(s.wallEnd - s.wallStart)} ms wall</title></rect>`,
      );
    }
    // Exits that fall on the same half pixel with the same reason and path share one tick.
    const ticks = new Map<string, { e: ExitEvent; px: number; n: number }>();
    for (const e of this.#exits) {
      const px = Math.round(x(e.time) * 2) / 2;
      const key = `${e.level} ${e.path} ${e.reasonName} ${px}`;
      const t = ticks.get(key);
      if (t) t.n++;
      else ticks.set(key, { e, px, n: 1 });
    }
    for (const { e, px, n } of ticks.values()) {
      const track: Track = e.level === 2 ? "L2" : "L1";
      const y = trackY(track);
      const reflected = e.path === "L2->L1";
      const top = reflected ? y - TRACK_GAP + 4 : y + 8;
      const bottom = y + TRACK_H - 8;
      out.push(
        `<line x1="${px}" x2="${px}" y1="${top}" y2="${bottom}" ` +
          `stroke="${colours.get(e.reasonName)}" stroke-width="${reflected ? 2 : 1}">` +
          `<title>${esc(e.path)} ${esc(e.reasonName)} (${n}): ${esc(e.detail)}</title></line>`,
      );
    }
    if (tracks.includes("IRQ")) {
      const y = trackY("IRQ");
      for (const q of this.#irqs) {
        out.push(
          `<circle cx="${f(x(q.time))}" cy="${y + TRACK_H / 2}" r="3" fill="#444">` +
            `<title>IRQ ${q.line} raised</title></circle>`,
        );
      }
    }
    // Time axis (virtual µs).
    out.push(`<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${axisY}" y2="${axisY}" stroke="#333"/>`);
    const step = niceStep((t1 - t0) / 1000);
    for (let u = Math.ceil(t0 / 1000 / step) * step; u <= t1 / 1000 + 1e-9; u += step) {
      const px = x(u * 1000);
      out.push(
        `<line x1="${f(px)}" x2="${f(px)}" y1="${axisY}" y2="${axisY + 6}" stroke="#333"/>`,
        `<text x="${f(px)}" y="${axisY + 20}" text-anchor="middle">${+u.toPrecision(6)}</text>`,
      );
    }
    out.push(
      `<text x="${LEFT + plotW / 2}" y="${axisY + 38}" text-anchor="middle" fill="#444">` +
        `virtual time (µs)</text>`,
    );
    // Legend.
    const ly = axisY + 60;
    byCount.forEach(([name, n], i) => {
      const lx = LEFT + (i % 4) * (plotW / 4);
      const y = ly + Math.floor(i / 4) * 20;
      out.push(
        `<rect x="${f(lx)}" y="${y - 10}" width="12" height="12" fill="${colours.get(name)}"/>`,
        `<text x="${f(lx + 18)}" y="${y}">${esc(name)} (${n})</text>`,
      );
    });
    out.push(
      `<text x="${LEFT}" y="${height - 8}" fill="#666">Ticks: VM exits by basic reason; ` +
        `thick ticks rising above the L2 track went to L1 (L2->L1). Bars: the L1 run (grey inside: L1 waits while L2 runs; green: L1 handles an L2 exit), L2 runs.</text>`,
      "</svg>",
    );
    return out.join("\n") + "\n";
  }
}
