#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace newswire::pipeline {

// What the HTML extractor finds in one page, before it becomes an Article: the main text as
// paragraphs and the page's metadata, each metadata field with where it came from.
struct HtmlExtraction {
  std::vector<std::string> paragraphs;  // whitespace-collapsed, none empty
  std::string title;
  std::string description;
  std::string language;
  std::string url;  // og:url
  std::string canonical_url;
  std::vector<std::string> authors;
  std::string publisher;
  std::string published_time;
  std::string modified_time;
  std::vector<std::string> sections;
  std::vector<std::string> keywords;
  // field -> "meta", "json-ld", "heuristic"
  std::map<std::string, std::string> provenance;
  // Visible text of the page (code points) that was not kept as body: navigation, ads, ...
  std::size_t boilerplate_characters = 0;
  // True when the tree was deeper than the extractor walks; deeper content is ignored.
  bool depth_limited = false;
};

// Parses `utf8_html` with gumbo (HTML5 rules, so any byte string gives a tree) and extracts the
// main content and metadata. Never fails; a page without content gives no paragraphs. Walks the
// tree with explicit stacks, so hostile nesting cannot overflow the thread's stack.
HtmlExtraction ExtractHtml(std::string_view utf8_html);

// The text of an HTML fragment that is all article: a feed item's description or
// content:encoded, a JSON article's body. No container is chosen and no metadata is read (only
// paragraphs, boilerplate_characters and depth_limited are set), but furniture inside the
// fragment is still dropped: scripts, styles, hidden and boilerplate-named elements, link lists,
// and blocks that are mostly links ("The post X appeared first on Y", "Read more").
HtmlExtraction ExtractHtmlFragment(std::string_view utf8_html);

}  // namespace newswire::pipeline
