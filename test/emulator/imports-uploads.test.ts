import { describe, expect, it } from 'vitest';
import { IMPORT_V2_STATE } from '../../src/emulator/resources/imports.js';
import { useEmulator } from '../support/emulator.js';

describe('imports', () => {
  const env = useEmulator();
  let clock = Date.now();
  const advance = (ms: number) => {
    clock += ms;
  };

  describe('with a controllable clock', () => {
    const timed = useEmulator({ taskStepMs: 1_000, now: () => clock });

    it('moves a v1 import from uploaded through analyzing to completed, recording history', async () => {
      const url = await timed.api.call({ method: 'POST', path: '/api/v2/import_urls', body: { filename: 'chat export.jsonl' } });
      expect(url.body.path).toMatch(/^s3:\/\/stream-import\/.+\/chat%20export\.jsonl$/);
      expect(url.body.upload_url).toMatch(/^https:\/\//);
      const created = await timed.api.call({ method: 'POST', path: '/api/v2/imports', body: { path: url.body.path, mode: 'upsert' } });
      const id = created.body.import_task.id;
      expect(created.body.import_task).toMatchObject({ state: 'uploaded', mode: 'upsert', history: [] });
      advance(1_000);
      expect((await timed.api.call({ method: 'GET', path: `/api/v2/imports/${id}` })).body.import_task.state).toBe('analyzing');
      advance(1_000);
      const done = await timed.api.call({ method: 'GET', path: `/api/v2/imports/${id}` });
      expect(done.body.import_task.state).toBe('completed');
      expect(done.body.import_task.history.map((h: { prev_state: string; next_state: string }) => `${h.prev_state}>${h.next_state}`)).toEqual([
        'uploaded>analyzing',
        'analyzing>completed',
      ]);
      expect((await timed.api.call({ method: 'GET', path: `/api/v2/imports/${id}` })).body.import_task.history).toHaveLength(2);
      // Imports are not emulator tasks a client could poll.
      expect((await timed.api.call({ method: 'GET', path: `/api/v2/tasks/${id}` })).status).toBe(404);
    });

    it('runs v2 tasks queued → processing → completed and filters the list by state', async () => {
      const a = (await timed.api.call({ method: 'POST', path: '/api/v2/imports/v2', body: { product: 'chat', settings: { mode: 'upsert', s3: { bucket: 'b', dir: 'd', region: 'eu-west-1' } } } })).body;
      expect(a).toMatchObject({ state: IMPORT_V2_STATE.queued, product: 'chat', settings: { s3: { bucket: 'b' } } });
      expect(typeof a.app_pk).toBe('number');
      advance(1_000);
      expect((await timed.api.call({ method: 'GET', path: `/api/v2/imports/v2/${a.id}` })).body.state).toBe(IMPORT_V2_STATE.processing);
      const b = (await timed.api.call({ method: 'POST', path: '/api/v2/imports/v2', body: { product: 'feeds', settings: {} } })).body;
      advance(1_000);
      expect((await timed.api.call({ method: 'GET', path: `/api/v2/imports/v2/${a.id}` })).body.state).toBe(IMPORT_V2_STATE.completed);
      const processing = await timed.api.call({ method: 'GET', path: '/api/v2/imports/v2', query: { state: IMPORT_V2_STATE.processing } });
      expect(processing.body.import_tasks.map((t: { id: string }) => t.id)).toEqual([b.id]);
    });

    it('deletes only queued v2 tasks and cancels only queued or processing ones', async () => {
      const create = async () => (await timed.api.call({ method: 'POST', path: '/api/v2/imports/v2', body: { product: 'chat', settings: {} } })).body.id as string;
      const queued = await create();
      expect((await timed.api.call({ method: 'DELETE', path: `/api/v2/imports/v2/${queued}` })).status).toBe(200);
      expect((await timed.api.call({ method: 'GET', path: `/api/v2/imports/v2/${queued}` })).status).toBe(404);

      const running = await create();
      advance(1_000);
      const notQueued = await timed.api.call({ method: 'DELETE', path: `/api/v2/imports/v2/${running}` });
      expect([notQueued.status, notQueued.body.code]).toEqual([400, 4]);
      expect((await timed.api.call({ method: 'POST', path: `/api/v2/imports/v2/${running}/cancel` })).status).toBe(201);
      advance(5_000);
      expect((await timed.api.call({ method: 'GET', path: `/api/v2/imports/v2/${running}` })).body.state).toBe(IMPORT_V2_STATE.cancelled);

      const finished = await create();
      advance(2_000);
      expect((await timed.api.call({ method: 'POST', path: `/api/v2/imports/v2/${finished}/cancel` })).status).toBe(400);
    });
  });

  it('requires product and settings for v2 and path and mode for v1', async () => {
    const bad = { skipRequestValidation: true };
    expect((await env.api.call({ method: 'POST', path: '/api/v2/imports/v2', body: { product: 'chat' } }, bad)).status).toBe(400);
    expect((await env.api.call({ method: 'POST', path: '/api/v2/imports', body: { mode: 'insert' } }, bad)).status).toBe(400);
    expect((await env.api.call({ method: 'GET', path: '/api/v2/imports/unknown' })).body.code).toBe(16);
  });
});

describe('uploads', () => {
  const env = useEmulator();
  const form = (fields: Record<string, string | Blob>, fileName = 'file.bin') => {
    const f = new FormData();
    for (const [k, v] of Object.entries(fields)) {
      if (v instanceof Blob) f.append(k, v, fileName);
      else f.append(k, v);
    }
    return f;
  };
  const post = (kind: 'file' | 'image', body: FormData) => env.api.call({ method: 'POST', path: `/api/v2/uploads/${kind}`, rawBody: body });

  it('uploads a multipart file, records it, and deletes it by URL', async () => {
    const r = await post('file', form({ file: new Blob(['%PDF-1.4'], { type: 'application/pdf' }), user: JSON.stringify({ id: 'ann' }) }, 'report.pdf'));
    expect(r.status).toBe(201);
    expect(r.body.file).toMatch(/report\.pdf$/);
    expect(env.emu.app().uploads.get(r.body.file)).toMatchObject({ kind: 'file', name: 'report.pdf', size: 8, user_id: 'ann' });
    expect((await env.api.call({ method: 'DELETE', path: '/api/v2/uploads/image', query: { url: r.body.file } })).status).toBe(404);
    expect((await env.api.call({ method: 'DELETE', path: '/api/v2/uploads/file', query: { url: r.body.file } })).status).toBe(200);
    expect(env.emu.app().uploads.has(r.body.file)).toBe(false);
  });

  it('rejects a request without a file part, and a malformed user field', async () => {
    expect((await post('file', form({ user: JSON.stringify({ id: 'ann' }) }))).status).toBe(400);
    expect((await env.api.call({ method: 'POST', path: '/api/v2/uploads/file', body: { file: 'not-a-file' } }, { skipRequestValidation: true })).status).toBe(400);
    expect((await post('file', form({ file: new Blob(['x']), user: '{broken' }))).status).toBe(400);
  });

  it('uploads an image with a thumbnail and echoes the requested sizes', async () => {
    const sizes = [{ width: 100, height: 100, resize: 'crop', crop: 'center' }];
    const r = await post('image', form({ file: new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])], { type: 'image/png' }), upload_sizes: JSON.stringify(sizes) }, 'cat.png'));
    expect(r.status).toBe(201);
    expect(r.body.thumb_url).toContain(r.body.file);
    expect(r.body.upload_sizes).toEqual(sizes);
    const badSizes = await post('image', form({ file: new Blob(['x'], { type: 'image/png' }), upload_sizes: JSON.stringify([{ resize: 'stretch' }]) }, 'x.png'));
    expect(badSizes.status).toBe(400);
    expect((await post('image', form({ file: new Blob(['x'], { type: 'text/plain' }) }, 'x.txt'))).status).toBe(400);
  });

  it('decides whether an upload is an image from its bytes, not its declared type or name', async () => {
    const bytes = (...b: number[]) => new Uint8Array([...b, ...new Array(16).fill(0)]);
    const ascii = (t: string) => [...t].map((c) => c.charCodeAt(0));
    const images: [string, Uint8Array][] = [
      ['photo.bin', bytes(0xff, 0xd8, 0xff, 0xe0)],
      ['anim', bytes(...ascii('GIF89a'))],
      ['pic.dat', bytes(...ascii('RIFF'), 0, 0, 0, 0, ...ascii('WEBPVP8 '))],
      ['shot', bytes(0, 0, 0, 24, ...ascii('ftypheic'))],
      ['shot2', bytes(0, 0, 0, 28, ...ascii('ftypavif'))],
    ];
    for (const [name, data] of images) {
      const r = await post('image', form({ file: new Blob([data], { type: 'application/octet-stream' }) }, name));
      expect([name, r.status]).toEqual([name, 201]);
    }
    const textAsJpeg = await post('image', form({ file: new Blob(['not really a photo'], { type: 'image/jpeg' }) }, 'fake.jpg'));
    expect([textAsJpeg.status, textAsJpeg.body.code, textAsJpeg.body.message]).toEqual([400, 4, 'UploadImage failed with error: "file fake.jpg is not an image"']);
    const mp4 = await post('image', form({ file: new Blob([bytes(0, 0, 0, 24, ...ascii('ftypisom'))], { type: 'image/heic' }) }, 'clip.heic'));
    expect(mp4.status).toBe(400);
  });

  it("applies the app's upload configuration", async () => {
    const settings = env.emu.app().settings;
    const before = settings.file_upload_config;
    settings.file_upload_config = { size_limit: 4, blocked_file_extensions: ['.exe'] };
    try {
      expect((await post('file', form({ file: new Blob(['12345']) }, 'big.txt'))).status).toBe(400);
      expect((await post('file', form({ file: new Blob(['1']) }, 'tool.exe'))).status).toBe(400);
      expect((await post('file', form({ file: new Blob(['1']) }, 'ok.txt'))).status).toBe(201);
    } finally {
      settings.file_upload_config = before;
    }
  });
});

describe('OpenGraph', () => {
  const env = useEmulator();
  const og = (url?: string) => env.api.call({ method: 'GET', path: '/api/v2/og', query: { url } });

  it('answers the same preview for the same URL, derived from the URL alone', async () => {
    const a = await og('https://www.example.com/posts/my-first_post.html?ref=x');
    expect(a.body).toMatchObject({ title: 'My first post', author_name: 'example.com', og_scrape_url: 'https://www.example.com/posts/my-first_post.html?ref=x', custom: {} });
    expect(a.body).not.toHaveProperty('type');
    const b = await og('https://www.example.com/posts/my-first_post.html?ref=x');
    expect({ ...b.body, duration: undefined }).toEqual({ ...a.body, duration: undefined });
  });

  it('types media links by extension', async () => {
    expect((await og('https://cdn.example.com/a/cat.PNG')).body).toMatchObject({ type: 'image', image_url: 'https://cdn.example.com/a/cat.PNG' });
    expect((await og('https://cdn.example.com/clip.mp4')).body).toMatchObject({ type: 'video', asset_url: 'https://cdn.example.com/clip.mp4' });
  });

  it('rejects a missing or malformed URL with 400/4', async () => {
    for (const url of [undefined, 'not a url', 'ftp://example.com/x', 'http://localhost']) {
      const r = await og(url);
      expect([r.status, r.body.code]).toEqual([400, 4]);
    }
  });
});
