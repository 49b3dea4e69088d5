import { describe, expect, it } from 'vitest';
import { renderJson, renderMarkdown, renderPlan, renderText, type PlanFormat } from './index.js';
import { LEAKY, SAMPLE, SECRET } from './test-fixtures.js';

describe('renderPlan', () => {
  it.each<[PlanFormat, string]>([
    ['text', renderText(SAMPLE, { color: false })],
    ['json', renderJson(SAMPLE)],
    ['markdown', renderMarkdown(SAMPLE)],
  ])('dispatches %s to its renderer, text without color by default', (format, expected) => {
    expect(renderPlan(SAMPLE, format)).toBe(expected);
  });

  it('passes the text and Markdown options through', () => {
    expect(renderPlan(SAMPLE, 'text', { color: true, dryRun: true })).toBe(renderText(SAMPLE, { color: true, dryRun: true }));
    expect(renderPlan(SAMPLE, 'markdown', { maxChars: 500 }).length).toBeLessThanOrEqual(500);
  });

  it('refuses an unknown format, naming the known ones', () => {
    expect(() => renderPlan(SAMPLE, 'yaml' as PlanFormat)).toThrow('unknown plan format "yaml": use text, json or markdown');
  });

  it.each<PlanFormat>(['text', 'json', 'markdown'])('never prints a sensitive value in %s, even from an unmasked plan', (format) => {
    expect(renderPlan(LEAKY, format, { color: true })).not.toContain(SECRET);
    expect(renderPlan(LEAKY, format)).toContain('(sensitive value)');
  });
});
