/** The plan renderers behind one call, for the CLI's `--format`. */
import type { PlanDocument } from '../../core/model.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderText } from './text.js';

export type PlanFormat = 'text' | 'json' | 'markdown';

export interface RenderOptions {
  /** Text only: ANSI colors. Off unless asked (the CLI asks on a TTY without NO_COLOR). */
  color?: boolean;
  /** Text only: closing "(dry run: nothing was applied)". */
  dryRun?: boolean;
  /** Markdown only: character cap, 65,000 by default. */
  maxChars?: number;
}

export function renderPlan(plan: PlanDocument, format: PlanFormat, opts: RenderOptions = {}): string {
  switch (format) {
    case 'text':
      return renderText(plan, { color: opts.color ?? false, dryRun: opts.dryRun });
    case 'json':
      return renderJson(plan);
    case 'markdown':
      return renderMarkdown(plan, { maxChars: opts.maxChars });
    default: {
      // Reached only from untyped callers (a raw `--format` value); say which formats exist.
      const unknown: never = format;
      throw new Error(`unknown plan format ${JSON.stringify(unknown)}: use text, json or markdown`);
    }
  }
}

export { parsePlanJson, renderJson, FORMAT_VERSION } from './json.js';
export { renderMarkdown, DEFAULT_MAX_CHARS } from './markdown.js';
export { renderText, DRY_RUN_NOTE } from './text.js';
