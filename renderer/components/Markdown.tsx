import MarkdownIt from 'markdown-it';
import { useMemo } from 'react';

/**
 * markdown-it with raw HTML off: a runbook's `<script>` or `<img onerror>` comes out as text, and
 * markdown-it's own link check refuses javascript:, vbscript:, file: and data: (but images) URLs.
 */
const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });
const defaultLinkOpen = markdown.renderer.rules.link_open ?? ((tokens, index, options, _env, self) => self.renderToken(tokens, index, options));
markdown.renderer.rules.link_open = (tokens, index, options, env, self) => {
  tokens[index].attrSet('target', '_blank');
  tokens[index].attrSet('rel', 'noopener noreferrer');
  return defaultLinkOpen(tokens, index, options, env, self);
};

/** Markdown as HTML, for the renderer's one use of innerHTML (see {@link Markdown}). */
export function renderMarkdown(text: string): string {
  return markdown.render(text);
}

/** A runbook's description (Markdown), rendered without any HTML of its own. */
export function Markdown({ text, className = '' }: { text: string; className?: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  return <div className={`markdown ${className}`} dangerouslySetInnerHTML={{ __html: html }} />;
}
