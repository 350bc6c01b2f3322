#!/usr/bin/env python3
"""Writes a benchmark corpus: N distinct news files of realistic size and format mix.

    tests/bench/make_corpus.py OUT_DIR [--articles 20000] [--seed 7] [--manifest FILE]

Most files are plain text like tests/data/articles (a title line, then paragraphs, 2-6 KB); the
rest are HTML article pages, JSON objects ({"title", "body", "url", "published"}) and RSS files
of a few items, plus a few files with invalid UTF-8 that newswire must reject (dead letter,
failed/): the failure path is part of real traffic and costs time too.

The text comes from the repository's own sample articles and, when present, the MasakhaNEWS TSVs
in ../shared/data/masakhanews (BBC and other news articles in English and French). Their terms
allow research and evaluation but not shipping the articles: this script reads them at run time
and writes the recombined files only into OUT_DIR, which tests/bench/run keeps in a temporary
directory and deletes afterwards. Nothing derived from them belongs in the repository.

Sentences are recombined with a seeded RNG, so every file differs (each also carries its serial
number) while the output is the same for the same seed and inputs. Standard library only.
"""

import argparse
import csv
import datetime
import html
import json
import pathlib
import random
import re
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_MASAKHANEWS = REPO.parent / "shared" / "data" / "masakhanews"

# Share of each kind of file, by count. Plain text dominates feed directories in practice; the
# structured formats exercise the other decoders. "invalid" files are rejected on purpose.
MIX = [("text", 0.70), ("html", 0.12), ("json", 0.10), ("rss", 0.077), ("invalid", 0.003)]

SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]?\s+(?=[A-Z0-9\"'“‘(À-Ý])")

# Fields of MasakhaNEWS rows can be long; the default csv field limit (128 KiB) is close.
csv.field_size_limit(16 * 1024 * 1024)


class TextPool:
    """Headlines and sentences of one language, to draw articles from."""

    def __init__(self):
        self.headlines = []
        self.sentences = []

    def add_article(self, headline, body):
        headline = " ".join(headline.split())
        if headline:
            self.headlines.append(headline)
        for paragraph in body.splitlines():
            for sentence in SENTENCE_END.split(paragraph.strip()):
                sentence = " ".join(sentence.split())
                # Very short fragments ("Full Transcript", bylines) read badly when recombined.
                if len(sentence) >= 40:
                    self.sentences.append(sentence)


def load_samples(pool):
    for path in sorted((REPO / "tests" / "data" / "articles").glob("*")):
        lines = path.read_text(encoding="utf-8").splitlines()
        if lines:
            pool.add_article(lines[0], "\n".join(lines[1:]))


def load_masakhanews(directory, english, french):
    """Adds the MasakhaNEWS articles; returns the names of the files read."""
    read = []
    for name, pool in [("eng-train-small.tsv", english), ("eng-dev.tsv", english),
                       ("fra-dev.tsv", french)]:
        path = directory / name
        if not path.is_file():
            continue
        with path.open(encoding="utf-8", newline="") as tsv:
            for row in csv.DictReader(tsv, delimiter="\t"):
                pool.add_article(row.get("headline") or "", row.get("text") or "")
        read.append(name)
    return read


class ArticleMaker:
    """Draws titles, paragraphs and metadata from the pools with one seeded RNG."""

    SECTIONS = ["world", "business", "politics", "health", "sport", "technology", "culture"]
    HOSTS = ["news.example.com", "wire.example.org", "daily.example.net", "press.example.co.uk"]
    AUTHORS = ["Staff reporter", "Wire desk", "Our correspondent", "Business desk",
               "Political editor", "Health reporter", "Sports desk"]

    def __init__(self, rng, english, french):
        self.rng = rng
        self.english = english
        self.french = french
        self.epoch = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)

    def pool(self):
        # About one article in ten is French when there is French text, as on a bilingual wire.
        if self.french.sentences and self.rng.random() < 0.1:
            return self.french
        return self.english

    def title(self, pool):
        return self.rng.choice(pool.headlines)

    def paragraphs(self, pool, target_bytes):
        """Paragraphs of 2-5 random sentences until the text is about target_bytes long."""
        paragraphs = []
        size = 0
        while size < target_bytes:
            count = self.rng.randint(2, 5)
            paragraph = " ".join(self.rng.choice(pool.sentences) for _ in range(count))
            paragraphs.append(paragraph)
            size += len(paragraph.encode("utf-8")) + 2
        return paragraphs

    def published(self):
        return self.epoch + datetime.timedelta(seconds=self.rng.randrange(365 * 24 * 3600))

    def url(self, serial, title):
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "article"
        section = self.rng.choice(self.SECTIONS)
        return f"https://{self.rng.choice(self.HOSTS)}/{section}/{slug}-{serial}"

    def reference(self, serial):
        # The serial makes every file unique even if the RNG drew the same sentences twice.
        return f"Reference: NW-BENCH-{serial:07d}."


def make_text(maker, serial):
    pool = maker.pool()
    title = maker.title(pool)
    paragraphs = maker.paragraphs(pool, maker.rng.randint(2000, 6000))
    paragraphs.append(maker.reference(serial))
    return title + "\n\n" + "\n\n".join(paragraphs) + "\n", 1


def make_html(maker, serial):
    pool = maker.pool()
    title = maker.title(pool)
    paragraphs = maker.paragraphs(pool, maker.rng.randint(2000, 5000))
    paragraphs.append(maker.reference(serial))
    url = maker.url(serial, title)
    published = maker.published().isoformat().replace("+00:00", "Z")
    author = maker.rng.choice(maker.AUTHORS)
    lang = "fr" if pool is maker.french else "en"
    esc = html.escape
    body = "\n".join(f"    <p>{esc(p)}</p>" for p in paragraphs)
    # Navigation, a related-links aside and a footer: the boilerplate extraction must drop.
    page = f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
  <meta charset="utf-8">
  <title>{esc(title)} | Example News</title>
  <meta name="description" content="{esc(paragraphs[0][:150])}">
  <meta name="author" content="{esc(author)}">
  <meta property="og:title" content="{esc(title)}">
  <meta property="og:url" content="{esc(url)}">
  <meta property="article:published_time" content="{published}">
  <link rel="canonical" href="{esc(url)}">
</head>
<body>
  <header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/business">Business</a>
  <a href="/sport">Sport</a> <a href="/login">Sign in</a></nav></header>
  <main>
  <article>
    <h1>{esc(title)}</h1>
    <p class="byline">By {esc(author)}, <time datetime="{published}">{published[:10]}</time></p>
{body}
  </article>
  <aside><h2>Related</h2><ul><li><a href="/more-1">More news</a></li>
  <li><a href="/more-2">Most read</a></li></ul></aside>
  </main>
  <footer><p>&copy; 2025 Example News. All rights reserved.</p></footer>
</body>
</html>
"""
    return page, 1


def make_json(maker, serial):
    pool = maker.pool()
    title = maker.title(pool)
    paragraphs = maker.paragraphs(pool, maker.rng.randint(2000, 5500))
    paragraphs.append(maker.reference(serial))
    record = {
        "title": title,
        "body": "\n\n".join(paragraphs),
        "url": maker.url(serial, title),
        "published": maker.published().isoformat().replace("+00:00", "Z"),
    }
    return json.dumps(record, ensure_ascii=False, indent=1) + "\n", 1


def make_rss(maker, serial):
    pool = maker.pool()
    item_count = maker.rng.randint(3, 6)
    items = []
    for index in range(item_count):
        title = maker.title(pool)
        paragraphs = maker.paragraphs(pool, maker.rng.randint(400, 1000))
        paragraphs.append(maker.reference(serial) + f" Item {index + 1}.")
        url = maker.url(serial * 10 + index, title)
        published = maker.published().strftime("%a, %d %b %Y %H:%M:%S +0000")
        description = html.escape("".join(f"<p>{p}</p>" for p in paragraphs), quote=False)
        items.append(f"""    <item>
      <title>{html.escape(title, quote=False)}</title>
      <link>{html.escape(url)}</link>
      <guid isPermaLink="true">{html.escape(url)}</guid>
      <pubDate>{published}</pubDate>
      <description>{description}</description>
    </item>""")
    joined = "\n".join(items)
    feed = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Example News feed {serial}</title>
    <link>https://news.example.com/</link>
    <description>Latest stories</description>
{joined}
  </channel>
</rss>
"""
    return feed, item_count


def make_invalid(maker, serial):
    # A text article with a stray Latin-1 byte next to valid UTF-8: corrupt, so newswire rejects
    # it as invalid UTF-8. (A file with only Latin-1 bytes is decoded as a legacy charset.)
    text, _ = make_text(maker, serial)
    encoded = text.encode("utf-8")
    cut = len(encoded) // 2
    return encoded[:cut] + " café — ".encode("utf-8") + b"\xe9t\xe9 " + encoded[cut:], 0


MAKERS = {"text": (make_text, "txt"), "html": (make_html, "html"), "json": (make_json, "json"),
          "rss": (make_rss, "xml"), "invalid": (make_invalid, "txt")}


def kinds_for(count, rng):
    """Exactly round(share * count) files of each kind (at least one each from 100 files), in
    a shuffled order so that arrival interleaves the formats."""
    kinds = []
    for kind, share in MIX[1:]:
        wanted = round(share * count)
        if count >= 100:
            wanted = max(wanted, 1)
        kinds += [kind] * wanted
    kinds += [MIX[0][0]] * (count - len(kinds))
    rng.shuffle(kinds)
    return kinds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=pathlib.Path, help="directory to write (created)")
    parser.add_argument("--articles", type=int, default=20000, help="files to write (20000)")
    parser.add_argument("--seed", type=int, default=7, help="RNG seed (7)")
    parser.add_argument("--masakhanews", type=pathlib.Path, default=DEFAULT_MASAKHANEWS,
                        help="MasakhaNEWS TSV directory, read if present (%(default)s)")
    parser.add_argument("--no-masakhanews", action="store_true",
                        help="use only the repository's sample articles")
    parser.add_argument("--manifest", type=pathlib.Path,
                        help="write the counts and the names meant to fail here, as JSON")
    args = parser.parse_args()
    if args.articles < 1:
        parser.error("--articles must be at least 1")

    english, french = TextPool(), TextPool()
    load_samples(english)
    sources = ["tests/data/articles"]
    if not args.no_masakhanews and args.masakhanews.is_dir():
        sources += [f"masakhanews/{name}" for name in
                    load_masakhanews(args.masakhanews, english, french)]
    if not english.sentences or not english.headlines:
        sys.exit("make_corpus: no sample text found under tests/data/articles")

    rng = random.Random(args.seed)
    maker = ArticleMaker(rng, english, french)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    counts = {kind: 0 for kind, _ in MIX}
    bytes_by_kind = {kind: 0 for kind, _ in MIX}
    expected_articles = 0
    meant_to_fail = []
    articles_in_feeds = {}  # RSS file name -> items; every other file holds one article
    width = max(6, len(str(args.articles)))
    for serial, kind in enumerate(kinds_for(args.articles, rng)):
        make, extension = MAKERS[kind]
        content, articles = make(maker, serial)
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        name = f"{serial:0{width}d}-{kind}.{extension}"
        (args.out_dir / name).write_bytes(data)
        counts[kind] += 1
        bytes_by_kind[kind] += len(data)
        expected_articles += articles
        if articles == 0:
            meant_to_fail.append(name)
        elif articles > 1:
            articles_in_feeds[name] = articles

    total_bytes = sum(bytes_by_kind.values())
    summary = ", ".join(f"{counts[kind]} {kind}" for kind, _ in MIX)
    print(f"{args.articles} files ({summary}), {total_bytes} bytes "
          f"({total_bytes / args.articles / 1024:.1f} KiB on average), {expected_articles} "
          f"articles, {len(meant_to_fail)} meant to fail; text from {', '.join(sources)}")
    if args.manifest:
        args.manifest.write_text(json.dumps({
            "files": args.articles,
            "seed": args.seed,
            "bytes": total_bytes,
            "files_by_kind": counts,
            "bytes_by_kind": bytes_by_kind,
            "expected_articles": expected_articles,
            "meant_to_fail": meant_to_fail,
            "articles_in_feeds": articles_in_feeds,
            "sources": sources,
        }, indent=1) + "\n")


if __name__ == "__main__":
    main()
