#include "daemon/pipeline/decode/feed_decoder.h"

#include <fmt/format.h>

#include <cstring>
#include <pugixml.hpp>
#include <string>
#include <utility>

#include "daemon/pipeline/decode/markup_text.h"
#include "daemon/pipeline/decode/text_decoder.h"
#include "daemon/pipeline/unicode_text.h"

namespace newswire::pipeline {
namespace {

// parse_default (CDATA, the predefined escapes and numeric references, attribute and line-end
// normalization) plus parse_doctype, which only keeps the DOCTYPE's text in the tree so that
// entity declarations can be refused; pugixml expands no declared entity either way.
constexpr unsigned kParseOptions = pugi::parse_default | pugi::parse_doctype;

std::string_view Name(const pugi::xml_node& node) { return node.name(); }

std::string_view LocalName(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const std::size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// An Atom element: unprefixed (the default namespace) or written with the usual "atom:" prefix.
bool IsAtom(const pugi::xml_node& node, std::string_view local_name) {
  const std::string_view name = node.name();
  return name == local_name || (name.starts_with("atom:") && name.substr(5) == local_name);
}

// The element's own character data (text and CDATA children, in order), as XML decoded it.
std::string DirectText(const pugi::xml_node& node) {
  std::string text;
  for (const pugi::xml_node& child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      text.append(child.value());
    }
  }
  return text;
}

std::string Trimmed(std::string_view text) { return std::string(TrimSpace(text)); }

struct StringWriter : pugi::xml_writer {
  std::string text;
  void write(const void* data, size_t size) override {
    text.append(static_cast<const char*>(data), size);
  }
};

// The text of an Atom text construct (title, summary, content) by its type attribute; what the
// HTML extractor drops as furniture is added to `boilerplate_characters`.
std::string AtomText(const pugi::xml_node& node, std::size_t& boilerplate_characters) {
  const std::string_view type = node.attribute("type").value();
  if (type == "xhtml") {
    // Inline XHTML: print the child elements back to markup and strip that, which also keeps
    // the paragraph breaks of block elements.
    StringWriter writer;
    for (const pugi::xml_node& child : node.children()) {
      child.print(writer, "", pugi::format_raw);
    }
    return FragmentText(writer.text, boilerplate_characters);
  }
  if (type == "html" || type == "text/html") {
    return FragmentText(DirectText(node), boilerplate_characters);
  }
  return DirectText(node);
}

// RSS "author" is an e-mail address, often with the name in parentheses:
// "jo@example.com (Jo Smith)" -> "Jo Smith"; anything else is kept as it is.
std::string RssAuthorName(std::string_view text) {
  text = TrimSpace(text);
  const std::size_t open = text.find('(');
  if (open != std::string_view::npos && text.ends_with(')')) {
    const std::string_view inner = TrimSpace(text.substr(open + 1, text.size() - open - 2));
    if (!inner.empty()) return std::string(inner);
  }
  return std::string(text);
}

void AddAuthor(std::string name, Article& article) {
  if (name.empty()) return;
  article.authors.push_back(Person{std::move(name), {}});
  article.provenance["authors"] = "feed";
}

void SetPublished(std::string_view text, Article& article) {
  const std::string raw = Trimmed(text);
  if (raw.empty()) return;
  if (auto date = NormalizeDate(raw)) {
    article.published_time = std::move(*date);
    article.provenance["published_time"] = "feed";
  } else {
    article.metadata["published_raw"] = raw;
  }
}

// What every item of one feed shares.
struct FeedContext {
  const RawArticle* raw = nullptr;
  std::string format;
  std::string language;
  std::string feed_title;
  std::vector<std::string> authors;  // Atom feed-level authors, for entries without their own
};

Article NewArticle(const FeedContext& feed, std::size_t item_index) {
  Article article;
  article.origin = feed.raw->origin;
  article.format = feed.format;
  article.item_index = item_index;
  article.stats.input_bytes = feed.raw->bytes.size();
  if (!feed.language.empty()) {
    article.language = feed.language;
    article.provenance["language"] = "feed";
  }
  if (!feed.feed_title.empty()) article.metadata["feed_title"] = feed.feed_title;
  return article;
}

Result<Article> Finish(Article article, std::string_view kind) {
  if (TrimSpace(article.title).empty() && TrimSpace(article.body).empty()) {
    return MakeError(Stage::kDecode, ErrorCode::kEmptyInput,
                     fmt::format("{} {} has neither a title nor a body", kind, article.item_index));
  }
  return article;
}

Result<Article> RssItem(const FeedContext& feed, const pugi::xml_node& item,
                        std::size_t item_index) {
  Article article = NewArticle(feed, item_index);
  std::string description;
  std::string encoded;
  std::string date;
  std::string dc_date;
  for (const pugi::xml_node& child : item.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view name = Name(child);
    const std::string_view local = LocalName(child);
    if (name == "title") {
      // RSS titles are often entity-escaped twice ("&amp;amp;"); decode the HTML layer too.
      article.title = Trimmed(DecodeHtmlEntities(DirectText(child)));
      if (!article.title.empty()) article.provenance["title"] = "feed";
    } else if (name == "link" && article.url.empty()) {
      article.url = Trimmed(DirectText(child));
      if (!article.url.empty()) article.provenance["url"] = "feed";
    } else if (name == "guid") {
      article.metadata["guid"] = Trimmed(DirectText(child));
    } else if (name == "author") {
      AddAuthor(RssAuthorName(DirectText(child)), article);
    } else if (local == "creator" && name != local) {
      AddAuthor(Trimmed(DirectText(child)), article);
    } else if (name == "pubDate") {
      date = DirectText(child);
    } else if (local == "date" && name != local) {
      dc_date = DirectText(child);
    } else if (name == "category") {
      std::string category = Trimmed(DirectText(child));
      if (!category.empty()) article.sections.push_back(std::move(category));
    } else if (name == "description") {
      description = DirectText(child);
    } else if (local == "encoded" && name != local) {
      encoded = DirectText(child);
    }
  }
  if (!article.sections.empty()) article.provenance["sections"] = "feed";
  SetPublished(TrimSpace(date).empty() ? dc_date : date, article);
  // content:encoded is the full text; the description is often only a teaser of it.
  const std::string& markup = TrimSpace(encoded).empty() ? description : encoded;
  article.body = FragmentText(markup, article.stats.boilerplate_characters);
  RemoveFurniture(article.body, article);
  if (!TrimSpace(article.body).empty()) article.provenance["body"] = "feed";
  return Finish(std::move(article), "item");
}

std::vector<std::string> AtomAuthors(const pugi::xml_node& parent) {
  std::vector<std::string> names;
  for (const pugi::xml_node& author : parent.children()) {
    if (!IsAtom(author, "author")) continue;
    for (const pugi::xml_node& child : author.children()) {
      if (!IsAtom(child, "name")) continue;
      std::string name = Trimmed(DirectText(child));
      if (!name.empty()) names.push_back(std::move(name));
    }
  }
  return names;
}

Result<Article> AtomEntry(const FeedContext& feed, const pugi::xml_node& entry,
                          std::size_t item_index) {
  Article article = NewArticle(feed, item_index);
  if (const pugi::xml_attribute lang = entry.attribute("xml:lang");
      !TrimSpace(lang.value()).empty()) {
    article.language = Trimmed(lang.value());
    article.provenance["language"] = "feed";
  }
  std::string published;
  std::string updated;
  std::string summary;
  std::string content;
  std::size_t summary_boilerplate = 0;
  std::size_t content_boilerplate = 0;
  std::size_t title_boilerplate = 0;
  for (const pugi::xml_node& child : entry.children()) {
    if (child.type() != pugi::node_element) continue;
    if (IsAtom(child, "title")) {
      article.title = Trimmed(AtomText(child, title_boilerplate));
      if (!article.title.empty()) article.provenance["title"] = "feed";
    } else if (IsAtom(child, "link") && article.url.empty()) {
      const std::string_view rel = child.attribute("rel").value();
      if (rel.empty() || rel == "alternate") {
        article.url = Trimmed(child.attribute("href").value());
        if (!article.url.empty()) article.provenance["url"] = "feed";
      }
    } else if (IsAtom(child, "id")) {
      article.metadata["guid"] = Trimmed(DirectText(child));
    } else if (IsAtom(child, "published")) {
      published = DirectText(child);
    } else if (IsAtom(child, "updated")) {
      updated = DirectText(child);
    } else if (IsAtom(child, "category")) {
      std::string term = Trimmed(child.attribute("term").value());
      if (term.empty()) term = Trimmed(child.attribute("label").value());
      if (!term.empty()) article.sections.push_back(std::move(term));
    } else if (IsAtom(child, "summary")) {
      summary = AtomText(child, summary_boilerplate);
    } else if (IsAtom(child, "content") && child.attribute("src").empty()) {
      content = AtomText(child, content_boilerplate);
    }
  }
  std::vector<std::string> authors = AtomAuthors(entry);
  if (authors.empty()) authors = feed.authors;
  for (std::string& name : authors) AddAuthor(std::move(name), article);
  if (!article.sections.empty()) article.provenance["sections"] = "feed";
  SetPublished(TrimSpace(published).empty() ? updated : published, article);
  if (auto modified = NormalizeDate(updated)) {
    article.modified_time = std::move(*modified);
    article.provenance["modified_time"] = "feed";
  }
  const bool has_content = !TrimSpace(content).empty();
  article.body = has_content ? std::move(content) : std::move(summary);
  article.stats.boilerplate_characters +=
      title_boilerplate + (has_content ? content_boilerplate : summary_boilerplate);
  RemoveFurniture(article.body, article);
  if (!TrimSpace(article.body).empty()) article.provenance["body"] = "feed";
  return Finish(std::move(article), "entry");
}

// The items DecodeRss or DecodeAtom would decode: RSS <item>s in the channel or beside it, or
// Atom <entry>s. Counted on the parsed tree, before any article is built.
std::size_t CountItems(const pugi::xml_node& root) {
  std::size_t items = 0;
  if (IsAtom(root, "feed")) {
    for (const pugi::xml_node& child : root.children()) items += IsAtom(child, "entry") ? 1 : 0;
    return items;
  }
  for (const pugi::xml_node& parent : {root.child("channel"), root}) {
    for (const pugi::xml_node& item : parent.children()) {
      items += item.type() == pugi::node_element && LocalName(item) == "item" ? 1 : 0;
    }
  }
  return items;
}

// RSS 2.0 and 0.9x keep items in channel; RSS 1.0 (RDF) keeps them beside it.
std::vector<Result<Article>> DecodeRss(FeedContext& feed, const pugi::xml_node& root) {
  const pugi::xml_node channel = root.child("channel");
  feed.format = "rss";
  feed.feed_title = Trimmed(DecodeHtmlEntities(DirectText(channel.child("title"))));
  feed.language = Trimmed(DirectText(channel.child("language")));
  if (feed.language.empty()) feed.language = Trimmed(DirectText(channel.child("dc:language")));
  std::vector<Result<Article>> articles;
  for (const pugi::xml_node& parent : {channel, root}) {
    for (const pugi::xml_node& item : parent.children()) {
      if (item.type() == pugi::node_element && LocalName(item) == "item") {
        articles.push_back(RssItem(feed, item, articles.size()));
      }
    }
  }
  return articles;
}

std::vector<Result<Article>> DecodeAtom(FeedContext& feed, const pugi::xml_node& root) {
  feed.format = "atom";
  for (const pugi::xml_node& child : root.children()) {
    if (IsAtom(child, "title")) {
      std::size_t ignored_boilerplate = 0;
      feed.feed_title = Trimmed(AtomText(child, ignored_boilerplate));
    }
  }
  feed.language = Trimmed(root.attribute("xml:lang").value());
  feed.authors = AtomAuthors(root);
  std::vector<Result<Article>> articles;
  for (const pugi::xml_node& entry : root.children()) {
    if (IsAtom(entry, "entry")) articles.push_back(AtomEntry(feed, entry, articles.size()));
  }
  return articles;
}

}  // namespace

Result<std::vector<Result<Article>>> DecodeFeed(const RawArticle& raw, std::string_view utf8_text,
                                                std::size_t max_articles) {
  if (TrimSpace(utf8_text).empty()) {
    return MakeError(Stage::kDecode, ErrorCode::kEmptyInput,
                     fmt::format("empty input: no XML in {} bytes", utf8_text.size()));
  }
  pugi::xml_document document;
  const pugi::xml_parse_result parsed =
      document.load_buffer(utf8_text.data(), utf8_text.size(), kParseOptions, pugi::encoding_utf8);
  if (!parsed) {
    return MakeError(
        Stage::kDecode, ErrorCode::kUnsupportedFormat,
        fmt::format("not well-formed XML at byte {}: {}", parsed.offset, parsed.description()));
  }
  for (const pugi::xml_node& node : document.children()) {
    if (node.type() == pugi::node_doctype && std::strstr(node.value(), "<!ENTITY") != nullptr) {
      return MakeError(Stage::kDecode, ErrorCode::kUnsupportedFormat,
                       "the XML DOCTYPE declares entities (<!ENTITY ...>); newswire neither "
                       "expands nor fetches them, so such feeds are refused. Remove the "
                       "declarations from the feed");
    }
  }

  const pugi::xml_node root = document.document_element();
  if (const std::size_t items = CountItems(root); items > max_articles) {
    return TooManyArticles(items, max_articles);
  }
  FeedContext feed;
  feed.raw = &raw;
  std::vector<Result<Article>> articles;
  if (Name(root) == "rss" || LocalName(root) == "RDF") {
    articles = DecodeRss(feed, root);
  } else if (IsAtom(root, "feed")) {
    articles = DecodeAtom(feed, root);
  } else {
    return MakeError(Stage::kDecode, ErrorCode::kUnsupportedFormat,
                     fmt::format("XML root element <{}> is neither an RSS <rss> or <rdf:RDF> nor "
                                 "an Atom <feed>",
                                 Name(root)));
  }
  if (articles.empty()) {
    return MakeError(Stage::kDecode, ErrorCode::kEmptyInput,
                     fmt::format("the {} feed has no {}", feed.format,
                                 feed.format == "atom" ? "entries" : "items"));
  }
  return articles;
}

}  // namespace newswire::pipeline
