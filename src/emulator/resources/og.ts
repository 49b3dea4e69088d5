import { extname } from 'node:path';
import { inputError } from '../errors.js';
import { type Resource } from '../resource.js';
import { route } from '../router.js';
import type { Rec } from '../store.js';
import { queryRequired } from '../validate.js';

/**
 * GetOG without the network: the emulator never fetches the page. It answers OpenGraph data derived from the URL
 * alone, the same for the same URL: media links (by extension) come back as image/video/audio attachments, any
 * other page as a link preview titled after its last path segment (or its host).
 */

const MEDIA: Record<string, 'image' | 'video' | 'audio'> = {
  '.jpg': 'image',
  '.jpeg': 'image',
  '.png': 'image',
  '.gif': 'image',
  '.webp': 'image',
  '.mp4': 'video',
  '.mov': 'video',
  '.webm': 'video',
  '.mp3': 'audio',
  '.wav': 'audio',
  '.ogg': 'audio',
  '.m4a': 'audio',
};

function parseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw inputError(`url ${raw} is not a valid URL`, { url: 'url must be a valid URL' });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname.includes('.')) {
    throw inputError(`url ${raw} is not a valid http(s) URL`, { url: 'url must be a valid http(s) URL' });
  }
  try {
    decodeURIComponent(url.pathname);
  } catch {
    throw inputError(`url ${raw} has malformed percent-encoding in its path`, { url: 'url has malformed percent-encoding' });
  }
  return url;
}

/** "my-first_post.html" → "My first post". */
function titleFrom(segment: string): string {
  // parseUrl has checked that the path's percent-encoding is well-formed.
  const words = decodeURIComponent(segment).replace(/\.[a-z0-9]+$/i, '').replace(/[-_+]+/g, ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : '';
}

const getOG = route('GET', '/api/v2/og', 'GetOG', ({ query }) => {
  const raw = queryRequired(query, 'url');
  const url = parseUrl(raw);
  const site = url.hostname.replace(/^www\./, '');
  const lastSegment = url.pathname.split('/').filter(Boolean).pop() ?? '';
  const media = MEDIA[extname(url.pathname).toLowerCase()];
  const body: Rec = {
    custom: {},
    og_scrape_url: raw,
    title: titleFrom(lastSegment) || site,
    title_link: url.href,
    author_name: site,
    author_link: url.origin,
    text: `${titleFrom(lastSegment) || 'Home page'} on ${site}`,
  };
  if (media === 'image') Object.assign(body, { type: 'image', image_url: url.href, thumb_url: url.href });
  else if (media) Object.assign(body, { type: media, asset_url: url.href });
  return body;
});

export const openGraph: Resource = {
  name: 'open graph',
  routes: [getOG],
};
