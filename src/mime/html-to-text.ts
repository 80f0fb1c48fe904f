// The text/plain alternative of an HTML body: tags stripped, links kept as "text (url)", block tags as line
// breaks, entities decoded — a few native replace() calls over UTF-8 bytes, one JS call per tag or entity.
// No \s and no trim(): on Node they also take byte 0xA0, which is inside UTF-8 sequences ("à" is C3 A0).

// The lookup tables below are made inside the functions that use them: an object at module scope would
// stay in the board's variables at rest (firmware/README.md, memory), these live only while a body converts.

/** A code point as UTF-8 bytes (the board's strings are bytes): continuation bytes while c overflows the lead. */
function utf8(c: number): string {
  const f = String.fromCharCode;
  if (c < 0x80) return f(c);
  let s = "";
  let room = 0x3f;
  while (c > room) {
    s = f(0x80 | (c & 63)) + s;
    c >>= 6;
    room >>= 1;
  }
  return f(((~room << 1) & 0xff) | c) + s;
}

function entity(m: string, e: string): string {
  // Named entities decoded; others stay as written. &nbsp; becomes a plain space in text.
  const named: { [name: string]: number } = { amp: 38, lt: 60, gt: 62, quot: 34, apos: 39, nbsp: 32 };
  const c =
    e[0] != "#" ? named[e.toLowerCase()] : /x/i.test(e[1]) ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
  return c > 0 && c < 0x110000 ? utf8(c) : m;
}

/**
 * The text of an HTML fragment, without trimming its ends. On the board every regex match costs tens of µs
 * and a replace callback more: the style/script/title pass runs only when a cheap test finds one, and
 * table cells' tags (most of a report's) go in passes without a callback, each end tag a space.
 */
function convert(h: string): string {
  // Block elements whose tags break the line (h1-h6 by regex). An object, not /^br$|^p$|…/: Espruino's matcher
  // nests a C frame per element of every failed alternative, which reached 38 frames for "blockquote".
  const block: { [tag: string]: 1 } = { br: 1, p: 1, div: 1, tr: 1, table: 1, ul: 1, ol: 1, blockquote: 1, pre: 1, hr: 1 };
  if (/<s[ct]|<ti/i.test(h))
    h = h.replace(/<style[^>]*>[^<]*<\/style>|<script[^>]*>[^<]*<\/script>|<title[^>]*>[^<]*<\/title>/gi, "");
  return h
    .replace(/<\/t[dh]>/gi, " ")
    .replace(/<t[dh][^>]*>/gi, "")
    .replace(/[ \t\r\n]+/g, " ")
    .replace(/<a [^>]*href=["']([^"']*)["'][^>]*>([^<]*)<\/a>/gi, function (m, url, text) {
      return text == url || !/[^ ]/.test(text) ? url : text + " (" + url + ")";
    })
    .replace(/<(\/*)([a-z0-9]*)[^>]*>/gi, function (m, close, name) {
      name = name.toLowerCase();
      return name == "li" ? (close ? "" : "\n- ") : block[name] || /^h\d$/.test(name) ? "\n" : "";
    })
    .replace(/&(#*[0-9a-z]+);/gi, entity)
    .replace(/ *\n */g, "\n")
    .replace(/\n\n\n+/g, "\n\n");
}

export function htmlToText(h: string): string {
  return convert(h).replace(/^[ \n]+/, "").replace(/[ \n]+$/, "");
}

/**
 * The same, from a piece source of HTML (read from Storage), as a piece source: each piece is cut before
 * its last "<" (no tag is split) and before a link whose "</a>" has not come yet, so the whole body is
 * never held. A style or script block cut across pieces may leave its text in.
 */
export function htmlTextSource(src: () => string | null): () => string | null {
  let buf = "";
  let eof = false;
  let first = true;
  return function () {
    while (!eof && buf.length < 512) {
      const p = src();
      if (p === null) eof = true;
      else buf += p;
    }
    if (!buf) return null;
    let cut = buf.length;
    if (!eof) {
      // lastIndexOf with a longer needle costs ~2 ms per KB on the board: only asked when there is a link.
      const a = /<a /.test(buf) ? buf.lastIndexOf("<a ") : -1;
      cut = a > 0 && a > buf.lastIndexOf("</a") ? a : buf.lastIndexOf("<");
      if (cut <= 0) cut = buf.length;
    }
    let t = convert(buf.slice(0, cut));
    buf = buf.slice(cut);
    if (first) t = t.replace(/^[ \n]+/, "");
    first = false;
    if (eof && !buf) t = t.replace(/[ \n]+$/, "");
    return t;
  };
}
