#include "daemon/pipeline/decode/html_extractor.h"

#include <gumbo.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/pipeline/decode/markup_text.h"
#include "daemon/pipeline/unicode_text.h"

namespace newswire::pipeline {
namespace {

// gumbo's tree builder scans its stack of open elements for most start tags, so parse time grows
// with depth x tags (10,000 nested <div> take seconds) and its tree destructor recurses. The
// input is therefore flattened before parsing: start tags beyond this nesting are dropped, with
// their end tags, which keeps the text. Real article pages stay far below it.
constexpr int kMaxNesting = 200;
// How deep the extractor walks a JSON-LD block; deeper blocks are skipped (RapidJSON's value
// destructor recurses).
constexpr int kMaxJsonNesting = 64;

struct GumboDeleter {
  void operator()(GumboOutput* output) const {
    gumbo_destroy_output(&kGumboDefaultOptions, output);
  }
};

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

std::string_view TrimAscii(std::string_view text) {
  while (!text.empty() && IsAsciiSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsAsciiSpace(text.back())) text.remove_suffix(1);
  return text;
}

// Appends `text` with runs of whitespace folded into one space; `pending_space` carries a space
// across calls so that "a<b>b</b>" stays "ab" and "a <b>b</b>" becomes "a b".
void AppendCollapsed(std::string& out, std::string_view text, bool& pending_space) {
  for (char c : text) {
    if (IsAsciiSpace(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
}

std::string Collapse(std::string_view text) {
  std::string out;
  bool pending_space = false;
  AppendCollapsed(out, text, pending_space);
  return out;
}

// Elements a tag scanner must not count as open: void elements never close, and these close
// implicitly when a sibling starts.
bool IsVoidOrImplicitlyClosed(std::string_view name) {
  static constexpr std::array<std::string_view, 32> kNames = {
      "area",  "base",  "br",     "col",      "embed", "hr",       "img",     "input",
      "link",  "meta",  "param",  "source",   "track", "wbr",      "p",       "li",
      "dt",    "dd",    "option", "optgroup", "tr",    "td",       "th",      "thead",
      "tbody", "tfoot", "rb",     "rt",       "rp",    "colgroup", "caption", "image"};
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

// `html` with start tags nested deeper than kMaxNesting removed together with their end tags
// (see kMaxNesting). A rough tokenizer: comments and raw-text elements are skipped so that
// "a<b" in a script does not count; it never has to be exact, only bounded.
std::string LimitNesting(std::string_view html, bool& limited) {
  std::string out;
  int depth = 0;
  int dropped = 0;
  std::size_t copied_to = 0;
  std::size_t i = 0;
  auto tag_name_end = [&](std::size_t from) {
    std::size_t end = from;
    while (end < html.size() && (std::isalnum(static_cast<unsigned char>(html[end])) ||
                                 html[end] == '-' || html[end] == ':')) {
      ++end;
    }
    return end;
  };
  while (true) {
    i = html.find('<', i);
    if (i == std::string_view::npos || i + 1 >= html.size()) break;
    if (html.compare(i, 4, "<!--") == 0) {
      const std::size_t end = html.find("-->", i + 4);
      if (end == std::string_view::npos) break;
      i = end + 3;
      continue;
    }
    const bool closing = html[i + 1] == '/';
    const std::size_t name_begin = i + (closing ? 2 : 1);
    if (name_begin >= html.size() || !std::isalpha(static_cast<unsigned char>(html[name_begin]))) {
      ++i;
      continue;
    }
    const std::size_t name_end = tag_name_end(name_begin);
    const std::string name = AsciiLower(html.substr(name_begin, name_end - name_begin));
    std::size_t tag_end = html.find('>', name_end);
    if (tag_end == std::string_view::npos) break;
    const bool self_closing = html[tag_end - 1] == '/';
    bool drop = false;
    if (!closing && (name == "script" || name == "style" || name == "textarea" || name == "title" ||
                     name == "xmp" || name == "noscript")) {
      // Raw text: jump to its end tag (case-insensitively found by a lowered search).
      const std::string end_tag = "</" + name;
      std::size_t search = tag_end + 1;
      std::size_t found = std::string_view::npos;
      while (search < html.size()) {
        const std::size_t lt = html.find("</", search);
        if (lt == std::string_view::npos) break;
        if (AsciiLower(html.substr(lt, end_tag.size())) == end_tag) {
          found = lt;
          break;
        }
        search = lt + 2;
      }
      i = found == std::string_view::npos ? html.size() : found;
      continue;
    }
    if (!IsVoidOrImplicitlyClosed(name) && !self_closing) {
      if (closing) {
        if (dropped > 0) {
          --dropped;
          drop = true;
        } else if (depth > 0) {
          --depth;
        }
      } else if (depth >= kMaxNesting) {
        ++dropped;
        drop = true;
      } else {
        ++depth;
      }
    }
    if (drop) {
      limited = true;
      out.append(html.substr(copied_to, i - copied_to));
      out.push_back(' ');
      copied_to = tag_end + 1;
    }
    i = tag_end + 1;
  }
  if (!limited) return {};
  out.append(html.substr(copied_to));
  return out;
}

// --- Tree flattening --------------------------------------------------------------------------

bool IsElement(const GumboNode* node) {
  return node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE;
}

std::string_view Attribute(const GumboNode* node, const char* name) {
  if (!IsElement(node)) return {};
  const GumboAttribute* attribute = gumbo_get_attribute(&node->v.element.attributes, name);
  return attribute == nullptr ? std::string_view() : std::string_view(attribute->value);
}

const GumboVector* Children(const GumboNode* node) {
  if (IsElement(node)) return &node->v.element.children;
  if (node->type == GUMBO_NODE_DOCUMENT) return &node->v.document.children;
  return nullptr;
}

// --- Node table -------------------------------------------------------------------------------

struct NodeInfo {
  const GumboNode* node = nullptr;
  int parent = -1;
  int depth = 0;
  GumboTag tag = GUMBO_TAG_UNKNOWN;
  bool is_text = false;
  bool removed = false;  // this node or an ancestor is boilerplate
  bool in_link = false;  // inside an <a>
  std::size_t end = 0;   // one past the last descendant's index (preorder)
  std::size_t text_chars = 0;
  std::size_t link_chars = 0;
  std::size_t commas = 0;
  double score = 0.0;
  bool candidate = false;
  int class_weight = 0;
};

constexpr std::array<std::string_view, 42> kUnlikely = {
    "comment",   "share",    "sharing",    "social",     "related",    "promo",        "advert",
    "sponsor",   "cookie",   "newsletter", "subscribe",  "breadcrumb", "sidebar",      "footer",
    "masthead",  "mainmenu", "navbar",     "navigation", "banner",     "popup",        "modal",
    "disqus",    "outbrain", "taboola",    "recommend",  "pagination", "signup",       "toolbar",
    "skip-link", "gdpr",     "consent",    "byline",     "dateline",   "more-stories", "read-more",
    "-menu",     "menu-",    "-nav",       "nav-",       "tag-list",   "taglist",      "post-tags"};
constexpr std::array<std::string_view, 10> kMaybe = {
    "article", "body", "content", "main", "story", "entry", "text", "post", "prose", "column"};
constexpr std::array<std::string_view, 12> kNegativeWeight = {
    "comment", "foot",    "meta",   "promo", "related", "share",
    "sidebar", "sponsor", "widget", "tool",  "hidden",  "caption"};
constexpr std::array<std::string_view, 9> kPositiveWeight = {
    "article", "body", "content", "entry", "main", "post", "text", "story", "blog"};

// Short words that occur inside unrelated names ("pageRow", "stages") only count as a whole
// segment of a class or id ("pager", "post-tags").
constexpr std::array<std::string_view, 5> kUnlikelySegments = {"pager", "tags", "menu", "nav",
                                                               "ad"};

template <std::size_t N>
bool HasSegment(std::string_view names, const std::array<std::string_view, N>& segments) {
  std::size_t begin = 0;
  while (begin < names.size()) {
    std::size_t end = begin;
    while (end < names.size() && std::isalnum(static_cast<unsigned char>(names[end]))) ++end;
    const std::string_view segment = names.substr(begin, end - begin);
    if (std::find(segments.begin(), segments.end(), segment) != segments.end()) return true;
    begin = end + 1;
  }
  return false;
}

template <std::size_t N>
bool ContainsAny(std::string_view haystack, const std::array<std::string_view, N>& needles) {
  return std::any_of(needles.begin(), needles.end(), [&](std::string_view needle) {
    return haystack.find(needle) != std::string_view::npos;
  });
}

bool IsDroppedTag(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_BUTTON:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_CANVAS:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_MENU:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_AUDIO:
    case GUMBO_TAG_VIDEO:
    case GUMBO_TAG_MAP:
      return true;
    default:
      return false;
  }
}

bool IsBlockTag(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_P:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_BODY:
      return true;
    default:
      return false;
  }
}

bool IsHeading(GumboTag tag) {
  return tag == GUMBO_TAG_H1 || tag == GUMBO_TAG_H2 || tag == GUMBO_TAG_H3 || tag == GUMBO_TAG_H4 ||
         tag == GUMBO_TAG_H5 || tag == GUMBO_TAG_H6;
}

// Whether an element is page furniture by what it is called (class, id, role) or how it is
// shown. Article containers are exempt: "article-related" is furniture, "article-body" is not.
bool LooksLikeBoilerplate(const GumboNode* node, bool by_name) {
  if (gumbo_get_attribute(&node->v.element.attributes, "hidden") != nullptr) return true;
  if (Attribute(node, "aria-hidden") == "true") return true;
  const std::string style = AsciiLower(Attribute(node, "style"));
  if (style.find("display:none") != std::string::npos ||
      style.find("display: none") != std::string::npos ||
      style.find("visibility:hidden") != std::string::npos) {
    return true;
  }
  const std::string role = AsciiLower(Attribute(node, "role"));
  if (role == "navigation" || role == "complementary" || role == "banner" ||
      role == "contentinfo" || role == "menu" || role == "dialog" || role == "alert") {
    return true;
  }
  const GumboTag tag = node->v.element.tag;
  if (tag == GUMBO_TAG_BODY || tag == GUMBO_TAG_HTML || tag == GUMBO_TAG_ARTICLE ||
      tag == GUMBO_TAG_MAIN || tag == GUMBO_TAG_A || Attribute(node, "itemprop") == "articleBody") {
    return false;
  }
  const std::string names =
      AsciiLower(std::string(Attribute(node, "class")) + " " + std::string(Attribute(node, "id")));
  if (!by_name || names.size() <= 1) return false;
  return (ContainsAny(names, kUnlikely) || HasSegment(names, kUnlikelySegments)) &&
         !ContainsAny(names, kMaybe);
}

int ClassWeight(const GumboNode* node) {
  int weight = 0;
  for (const char* name : {"class", "id"}) {
    const std::string value = AsciiLower(Attribute(node, name));
    if (value.empty()) continue;
    if (ContainsAny(value, kNegativeWeight)) weight -= 25;
    if (ContainsAny(value, kPositiveWeight)) weight += 25;
  }
  return weight;
}

// Builds the preorder node table with an explicit stack and per-subtree text statistics.
std::vector<NodeInfo> BuildTable(const GumboNode* root, bool strip_unlikely) {
  std::vector<NodeInfo> nodes;
  struct Frame {
    const GumboNode* node;
    int parent;
  };
  std::vector<Frame> stack = {{root, -1}};
  while (!stack.empty()) {
    const Frame frame = stack.back();
    stack.pop_back();
    NodeInfo info;
    info.node = frame.node;
    info.parent = frame.parent;
    if (frame.parent >= 0) {
      const NodeInfo& parent = nodes[static_cast<std::size_t>(frame.parent)];
      info.depth = parent.depth + 1;
      info.removed = parent.removed;
      info.in_link = parent.in_link || parent.tag == GUMBO_TAG_A;
    }
    if (IsElement(frame.node)) {
      info.tag = frame.node->v.element.tag;
      if (!info.removed &&
          (IsDroppedTag(info.tag) || LooksLikeBoilerplate(frame.node, strip_unlikely))) {
        info.removed = true;
      }
      info.class_weight = ClassWeight(frame.node);
    } else if (frame.node->type == GUMBO_NODE_TEXT || frame.node->type == GUMBO_NODE_CDATA ||
               frame.node->type == GUMBO_NODE_WHITESPACE) {
      info.is_text = true;
    }
    const int index = static_cast<int>(nodes.size());
    nodes.push_back(info);
    if (const GumboVector* children = Children(frame.node)) {
      for (unsigned i = children->length; i > 0; --i) {
        stack.push_back({static_cast<const GumboNode*>(children->data[i - 1]), index});
      }
    }
  }
  // Subtree ends and sums, children before parents (reverse preorder).
  for (std::size_t i = 0; i < nodes.size(); ++i) nodes[i].end = i + 1;
  for (std::size_t i = nodes.size(); i-- > 0;) {
    NodeInfo& info = nodes[i];
    if (info.is_text && !info.removed) {
      const std::string text = Collapse(info.node->v.text.text);
      info.text_chars = CountCodePoints(text);
      info.commas = static_cast<std::size_t>(std::count(text.begin(), text.end(), ',')) +
                    (text.find("\xEF\xBC\x8C") != std::string::npos ? 1 : 0);
      if (info.in_link) info.link_chars = info.text_chars;
    }
    if (info.parent >= 0) {
      NodeInfo& parent = nodes[static_cast<std::size_t>(info.parent)];
      parent.end = std::max(parent.end, info.end);
      parent.text_chars += info.text_chars;
      parent.link_chars += info.link_chars;
      parent.commas += info.commas;
    }
  }
  return nodes;
}

double LinkDensity(const NodeInfo& info) {
  return info.text_chars == 0
             ? 0.0
             : static_cast<double>(info.link_chars) / static_cast<double>(info.text_chars);
}

// Whether an element holds only inline content, so it reads as one paragraph.
bool HasBlockChild(const std::vector<NodeInfo>& nodes, std::size_t index) {
  for (std::size_t child = index + 1; child < nodes[index].end; child = nodes[child].end) {
    if (!nodes[child].is_text && nodes[child].tag != GUMBO_TAG_BR && !nodes[child].removed &&
        IsBlockTag(nodes[child].tag)) {
      return true;
    }
  }
  return false;
}

int TagBaseScore(GumboTag tag) {
  switch (tag) {
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_ARTICLE:
      return 5;
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_BLOCKQUOTE:
      return 3;
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_FORM:
      return -3;
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_TH:
      return -5;
    default:
      return 0;
  }
}

// Whether the element at `index` holds text beside block children: a div, section or article
// whose text paragraphs are not wrapped in <p>. (Without block children, the element itself is
// the paragraph.)
bool IsBareTextContainer(const std::vector<NodeInfo>& nodes, std::size_t index) {
  const GumboTag tag = nodes[index].tag;
  return (tag == GUMBO_TAG_DIV || tag == GUMBO_TAG_SECTION || tag == GUMBO_TAG_ARTICLE) &&
         HasBlockChild(nodes, index);
}

// Readability-style scoring: every paragraph gives points for its length and commas to its
// ancestors, less the further up they are; the best-scoring container, discounted by its link
// density, holds the article.
int ChooseContainer(std::vector<NodeInfo>& nodes) {
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    NodeInfo& info = nodes[i];
    if (info.removed || info.text_chars < 25) continue;
    // Text standing directly in a div beside block children ("text<br><div></div>text") is a
    // paragraph without its <p>, as Readability treats it.
    const bool bare_text = info.is_text && info.parent >= 0 &&
                           IsBareTextContainer(nodes, static_cast<std::size_t>(info.parent));
    const bool paragraph =
        bare_text || info.tag == GUMBO_TAG_P || info.tag == GUMBO_TAG_PRE ||
        info.tag == GUMBO_TAG_TD ||
        ((info.tag == GUMBO_TAG_DIV || info.tag == GUMBO_TAG_SECTION) && !HasBlockChild(nodes, i));
    if (!paragraph) continue;
    const double points = 1.0 + static_cast<double>(info.commas) +
                          std::min(static_cast<double>(info.text_chars / 100), 3.0);
    int ancestor = info.parent;
    for (int level = 0; ancestor >= 0 && level < 5; ++level) {
      NodeInfo& target = nodes[static_cast<std::size_t>(ancestor)];
      if (target.tag == GUMBO_TAG_HTML || target.is_text) break;
      if (!target.candidate) {
        target.candidate = true;
        target.score = TagBaseScore(target.tag) + target.class_weight;
        if (target.tag == GUMBO_TAG_ARTICLE ||
            Attribute(target.node, "itemprop") == "articleBody") {
          target.score += 10;
        }
      }
      const double divider = level == 0 ? 1.0 : level == 1 ? 2.0 : level * 3.0;
      target.score += points / divider;
      ancestor = target.parent;
    }
  }
  int best = -1;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    NodeInfo& info = nodes[i];
    if (!info.candidate) continue;
    info.score *= 1.0 - LinkDensity(info);
    if (info.removed) continue;
    if (best < 0 || info.score > nodes[static_cast<std::size_t>(best)].score) {
      best = static_cast<int>(i);
    }
  }
  if (best < 0) return best;
  // Climb while the parent is at least as good a container: the content split across sections
  // makes one section win although the article is their parent.
  double last_score = nodes[static_cast<std::size_t>(best)].score;
  const double threshold = last_score / 3.0;
  int parent = nodes[static_cast<std::size_t>(best)].parent;
  while (parent >= 0 && nodes[static_cast<std::size_t>(parent)].tag != GUMBO_TAG_BODY) {
    const NodeInfo& info = nodes[static_cast<std::size_t>(parent)];
    if (!info.candidate) {
      parent = info.parent;
      continue;
    }
    if (info.score < threshold) break;
    if (info.score > last_score) {
      best = parent;
      break;
    }
    last_score = info.score;
    parent = info.parent;
  }
  // A lone child says nothing; its parent holds the siblings that belong to the article.
  while (true) {
    const NodeInfo& info = nodes[static_cast<std::size_t>(best)];
    if (info.parent < 0) break;
    const NodeInfo& up = nodes[static_cast<std::size_t>(info.parent)];
    if (up.tag == GUMBO_TAG_BODY || up.tag == GUMBO_TAG_HTML || up.removed) break;
    if (up.text_chars != info.text_chars) break;
    best = info.parent;
  }
  return best;
}

// Whether a block inside the chosen container is furniture after all: mostly links (related
// stories, tag lists), or a list/table/div that scores as navigation.
bool DropWithinContainer(const std::vector<NodeInfo>& nodes, std::size_t index) {
  const NodeInfo& info = nodes[index];
  if (info.is_text || info.removed) return info.removed;
  switch (info.tag) {
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_DL: {
      // A scored container outweighs a bad name ("elementor-widget-wrap" around the text).
      if (info.class_weight + (info.candidate ? info.score : 0.0) < 0) return true;
      const double density = LinkDensity(info);
      if (info.commas < 10 && info.class_weight < 25 && density > 0.33) return true;
      if (density > 0.5) return true;
      return false;
    }
    default:
      return false;
  }
}

struct Block {
  std::string text;
  std::size_t link_chars = 0;
  GumboTag tag = GUMBO_TAG_UNKNOWN;
};

// Emits the text of the subtree at `index` as blocks, with an explicit stack of enter/leave
// events.
void CollectBlocks(const std::vector<NodeInfo>& nodes, std::size_t index, std::vector<Block>& out) {
  Block current;
  bool pending_space = false;
  auto flush = [&](GumboTag next_tag) {
    if (!current.text.empty()) out.push_back(std::move(current));
    current = Block{};
    current.tag = next_tag;
    pending_space = false;
  };
  struct Event {
    std::size_t index;
    bool leave;
  };
  std::vector<Event> stack = {{index, false}};
  std::vector<GumboTag> block_stack;
  while (!stack.empty()) {
    const Event event = stack.back();
    stack.pop_back();
    const NodeInfo& info = nodes[event.index];
    if (event.leave) {
      block_stack.pop_back();
      flush(block_stack.empty() ? GUMBO_TAG_UNKNOWN : block_stack.back());
      continue;
    }
    if (info.is_text) {
      const std::size_t before = current.text.size();
      AppendCollapsed(current.text, info.node->v.text.text, pending_space);
      if (info.in_link) current.link_chars += CountCodePoints(current.text.substr(before));
      continue;
    }
    if (event.index != index && DropWithinContainer(nodes, event.index)) continue;
    // A date standing alone between blocks is a dateline, which is metadata; inside a sentence
    // ("on <time>Tuesday</time>") it is text.
    if (info.tag == GUMBO_TAG_TIME && info.parent >= 0 &&
        IsBlockTag(nodes[static_cast<std::size_t>(info.parent)].tag) &&
        nodes[static_cast<std::size_t>(info.parent)].tag != GUMBO_TAG_P &&
        nodes[static_cast<std::size_t>(info.parent)].tag != GUMBO_TAG_LI) {
      continue;
    }
    if (info.tag == GUMBO_TAG_TD || info.tag == GUMBO_TAG_TH) pending_space = true;
    if (IsBlockTag(info.tag)) {
      flush(info.tag);
      block_stack.push_back(info.tag);
      stack.push_back({event.index, true});
    }
    // Children in document order: pushed last to first.
    std::vector<std::size_t> children;
    for (std::size_t child = event.index + 1; child < info.end; child = nodes[child].end) {
      children.push_back(child);
    }
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back({*it, false});
  }
  flush(GUMBO_TAG_UNKNOWN);
}

bool KeepBlock(const Block& block) {
  const std::size_t chars = CountCodePoints(block.text);
  if (chars == 0) return false;
  // A line that is mostly links is navigation ("Read more", "Related: ...").
  if (static_cast<double>(block.link_chars) > 0.5 * static_cast<double>(chars)) return false;
  return true;
}

// --- Metadata ---------------------------------------------------------------------------------

std::string TextOf(const GumboNode* node) {
  std::string out;
  bool pending_space = false;
  std::vector<const GumboNode*> stack = {node};
  while (!stack.empty()) {
    const GumboNode* current = stack.back();
    stack.pop_back();
    if (current->type == GUMBO_NODE_TEXT || current->type == GUMBO_NODE_WHITESPACE ||
        current->type == GUMBO_NODE_CDATA) {
      AppendCollapsed(out, current->v.text.text, pending_space);
      continue;
    }
    if (const GumboVector* children = Children(current)) {
      for (unsigned i = children->length; i > 0; --i) {
        stack.push_back(static_cast<const GumboNode*>(children->data[i - 1]));
      }
    }
  }
  return out;
}

// Dates in UTC ("YYYY-MM-DDTHH:MM:SSZ"), read by the one date reader every format shares; empty
// when it cannot read them.
std::string ToRfc3339(std::string_view value) { return NormalizeDate(value).value_or(""); }

// Depth of [ and { nesting outside strings, to refuse JSON whose DOM would recurse too deeply.
int JsonNesting(std::string_view json) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

bool TypeIsArticle(const rapidjson::Value& object) {
  const auto type = object.FindMember("@type");
  if (type == object.MemberEnd()) return false;
  auto matches = [](const rapidjson::Value& value) {
    if (!value.IsString()) return false;
    const std::string_view name(value.GetString(), value.GetStringLength());
    return name.ends_with("Article") || name == "BlogPosting" || name == "Report" ||
           name == "LiveBlogPosting" || name == "SocialMediaPosting";
  };
  if (matches(type->value)) return true;
  if (type->value.IsArray()) {
    for (const auto& item : type->value.GetArray()) {
      if (matches(item)) return true;
    }
  }
  return false;
}

std::string JsonString(const rapidjson::Value& object, const char* name) {
  const auto member = object.FindMember(name);
  if (member == object.MemberEnd()) return {};
  if (member->value.IsString()) return Collapse(member->value.GetString());
  if (member->value.IsObject()) return JsonString(member->value, "name");
  return {};
}

std::vector<std::string> JsonNames(const rapidjson::Value& object, const char* name) {
  std::vector<std::string> names;
  const auto member = object.FindMember(name);
  if (member == object.MemberEnd()) return names;
  auto add = [&](const rapidjson::Value& value) {
    std::string text;
    if (value.IsString()) text = Collapse(value.GetString());
    if (value.IsObject()) text = JsonString(value, "name");
    if (!text.empty()) names.push_back(std::move(text));
  };
  if (member->value.IsArray()) {
    for (const auto& item : member->value.GetArray()) add(item);
  } else {
    add(member->value);
  }
  return names;
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = TrimAscii(text.substr(0, comma));
    if (!item.empty()) items.emplace_back(Collapse(item));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

// Fills metadata from the first schema.org Article object found in `json`.
void ReadJsonLd(std::string_view json, HtmlExtraction& out) {
  if (JsonNesting(json) > kMaxJsonNesting) return;
  rapidjson::Document document;
  document.Parse<rapidjson::kParseCommentsFlag | rapidjson::kParseTrailingCommasFlag |
                 rapidjson::kParseNanAndInfFlag | rapidjson::kParseIterativeFlag>(json.data(),
                                                                                  json.size());
  if (document.HasParseError()) return;
  std::vector<const rapidjson::Value*> stack = {&document};
  const rapidjson::Value* article = nullptr;
  while (!stack.empty() && article == nullptr) {
    const rapidjson::Value* value = stack.back();
    stack.pop_back();
    if (value->IsArray()) {
      for (auto it = value->End(); it != value->Begin();) stack.push_back(&*--it);
    } else if (value->IsObject()) {
      if (TypeIsArticle(*value)) {
        article = value;
        break;
      }
      const auto graph = value->FindMember("@graph");
      if (graph != value->MemberEnd()) stack.push_back(&graph->value);
    }
  }
  if (article == nullptr) return;
  auto set = [&](std::string& field, const char* name, std::string value) {
    if (field.empty() && !value.empty()) {
      field = std::move(value);
      out.provenance[name] = "json-ld";
    }
  };
  set(out.title, "title", JsonString(*article, "headline"));
  set(out.published_time, "published_time", ToRfc3339(JsonString(*article, "datePublished")));
  set(out.modified_time, "modified_time", ToRfc3339(JsonString(*article, "dateModified")));
  set(out.publisher, "publisher", JsonString(*article, "publisher"));
  set(out.language, "language", JsonString(*article, "inLanguage"));
  set(out.description, "description", JsonString(*article, "description"));
  if (out.authors.empty()) {
    out.authors = JsonNames(*article, "author");
    if (!out.authors.empty()) out.provenance["authors"] = "json-ld";
  }
  if (out.sections.empty()) {
    out.sections = JsonNames(*article, "articleSection");
    if (!out.sections.empty()) out.provenance["sections"] = "json-ld";
  }
  if (out.keywords.empty()) {
    const auto keywords = article->FindMember("keywords");
    if (keywords != article->MemberEnd()) {
      if (keywords->value.IsString()) out.keywords = SplitList(keywords->value.GetString());
      if (keywords->value.IsArray()) out.keywords = JsonNames(*article, "keywords");
      if (!out.keywords.empty()) out.provenance["keywords"] = "json-ld";
    }
  }
}

bool LooksLikeUrl(std::string_view text) {
  return text.starts_with("http://") || text.starts_with("https://") || text.starts_with("//");
}

void ReadMetadata(const std::vector<NodeInfo>& nodes, HtmlExtraction& out) {
  std::map<std::string, std::string> meta;  // first value of each property/name
  std::vector<std::string> meta_authors;
  std::vector<std::string> meta_tags;
  std::vector<std::string_view> json_ld;
  std::string title_element;
  std::string first_h1;
  std::string first_time;
  for (const NodeInfo& info : nodes) {
    if (info.is_text || !IsElement(info.node)) continue;
    const GumboNode* node = info.node;
    switch (info.tag) {
      case GUMBO_TAG_HTML:
        if (out.language.empty()) {
          out.language = std::string(TrimAscii(Attribute(node, "lang")));
          if (!out.language.empty()) out.provenance["language"] = "meta";
        }
        break;
      case GUMBO_TAG_META: {
        std::string key = AsciiLower(Attribute(node, "property"));
        if (key.empty()) key = AsciiLower(Attribute(node, "name"));
        if (key.empty()) key = AsciiLower(Attribute(node, "itemprop"));
        if (key.empty()) key = AsciiLower(Attribute(node, "http-equiv"));
        const std::string content = Collapse(Attribute(node, "content"));
        if (key.empty() || content.empty()) break;
        meta.emplace(key, content);
        if ((key == "author" || key == "article:author" || key == "dc.creator" ||
             key == "sailthru.author") &&
            !LooksLikeUrl(content) &&
            std::find(meta_authors.begin(), meta_authors.end(), content) == meta_authors.end()) {
          meta_authors.push_back(content);
        }
        if (key == "article:tag") meta_tags.push_back(content);
        break;
      }
      case GUMBO_TAG_LINK:
        if (out.canonical_url.empty() && AsciiLower(Attribute(node, "rel")) == "canonical") {
          out.canonical_url = std::string(TrimAscii(Attribute(node, "href")));
          if (!out.canonical_url.empty()) out.provenance["canonical_url"] = "meta";
        }
        break;
      case GUMBO_TAG_TITLE:
        if (title_element.empty()) title_element = TextOf(node);
        break;
      case GUMBO_TAG_H1:
        if (first_h1.empty() && !info.removed) first_h1 = TextOf(node);
        break;
      case GUMBO_TAG_TIME:
        if (first_time.empty()) first_time = ToRfc3339(Attribute(node, "datetime"));
        break;
      case GUMBO_TAG_SCRIPT:
        if (AsciiLower(TrimAscii(Attribute(node, "type"))) == "application/ld+json" &&
            node->v.element.children.length > 0) {
          const auto* text = static_cast<const GumboNode*>(node->v.element.children.data[0]);
          if (text->type == GUMBO_NODE_TEXT || text->type == GUMBO_NODE_WHITESPACE ||
              text->type == GUMBO_NODE_CDATA) {
            json_ld.emplace_back(text->v.text.text);
          }
        }
        break;
      default:
        break;
    }
  }
  auto first_meta = [&](std::initializer_list<const char*> keys) -> std::string {
    for (const char* key : keys) {
      if (const auto it = meta.find(key); it != meta.end()) return it->second;
    }
    return {};
  };
  auto set = [&](std::string& field, const char* name, std::string value, const char* source) {
    if (field.empty() && !value.empty()) {
      field = std::move(value);
      out.provenance[name] = source;
    }
  };
  set(out.title, "title", first_meta({"og:title", "twitter:title"}), "meta");
  set(out.published_time, "published_time",
      ToRfc3339(first_meta({"article:published_time", "og:article:published_time", "datepublished",
                            "pubdate", "publishdate", "dc.date.issued", "date"})),
      "meta");
  set(out.modified_time, "modified_time",
      ToRfc3339(first_meta({"article:modified_time", "og:updated_time", "datemodified"})), "meta");
  set(out.publisher, "publisher", first_meta({"og:site_name", "application-name"}), "meta");
  set(out.description, "description",
      first_meta({"og:description", "description", "twitter:description"}), "meta");
  set(out.url, "url", first_meta({"og:url"}), "meta");
  if (!meta_authors.empty()) {
    out.authors = meta_authors;
    out.provenance["authors"] = "meta";
  }
  if (const std::string section = first_meta({"article:section"}); !section.empty()) {
    out.sections.push_back(section);
    out.provenance["sections"] = "meta";
  }
  if (!meta_tags.empty()) {
    out.keywords = meta_tags;
  } else {
    out.keywords = SplitList(first_meta({"news_keywords", "keywords"}));
  }
  if (!out.keywords.empty()) out.provenance["keywords"] = "meta";
  for (const std::string_view json : json_ld) ReadJsonLd(json, out);
  if (out.language.empty()) {
    std::string locale = first_meta({"og:locale", "content-language", "language"});
    std::replace(locale.begin(), locale.end(), '_', '-');
    set(out.language, "language", locale, "meta");
  }
  set(out.title, "title", std::string(TrimAscii(title_element)), "meta");
  set(out.title, "title", std::string(TrimAscii(first_h1)), "heuristic");
  set(out.published_time, "published_time", first_time, "heuristic");
  if (out.canonical_url.empty() && !out.url.empty()) {
    out.canonical_url = out.url;
    out.provenance["canonical_url"] = "meta";
  }
}

std::string NormalizedForCompare(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) || (static_cast<unsigned char>(c) & 0x80)) {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  return out;
}

struct BodyText {
  std::vector<std::string> paragraphs;
  std::size_t characters = 0;
};

// Below this many characters the first attempt probably missed the article.
constexpr std::size_t kMinBodyCharacters = 500;

BodyText ExtractBody(std::vector<NodeInfo>& nodes, std::string_view title) {
  BodyText result;
  const int best = ChooseContainer(nodes);
  std::vector<Block> blocks;
  if (best >= 0) {
    const NodeInfo& top = nodes[static_cast<std::size_t>(best)];
    const double threshold = std::max(10.0, top.score * 0.2);
    const std::string top_class(Attribute(top.node, "class"));
    if (top.parent < 0) {
      CollectBlocks(nodes, static_cast<std::size_t>(best), blocks);
    } else {
      const NodeInfo& parent = nodes[static_cast<std::size_t>(top.parent)];
      for (std::size_t child = static_cast<std::size_t>(top.parent) + 1; child < parent.end;
           child = nodes[child].end) {
        const NodeInfo& sibling = nodes[child];
        bool keep = child == static_cast<std::size_t>(best);
        if (!keep && !sibling.is_text && !sibling.removed) {
          double bonus = 0.0;
          if (!top_class.empty() && Attribute(sibling.node, "class") == top_class) {
            bonus = top.score * 0.2;
          }
          if (sibling.candidate && sibling.score + bonus >= threshold) {
            keep = true;
          } else if (sibling.tag == GUMBO_TAG_P) {
            const double density = LinkDensity(sibling);
            if (sibling.text_chars > 80 && density < 0.25) keep = true;
            if (sibling.text_chars > 0 && sibling.text_chars <= 80 && density == 0.0) {
              const std::string text = TextOf(sibling.node);
              keep = text.find(". ") != std::string::npos || text.ends_with('.');
            }
          }
        }
        if (keep) CollectBlocks(nodes, child, blocks);
      }
    }
  }
  const std::string title_key = NormalizedForCompare(title);
  bool first = true;
  for (Block& block : blocks) {
    if (!KeepBlock(block)) continue;
    // The headline repeated on top of the body is the title, not body text.
    if (first && IsHeading(block.tag) && !title_key.empty()) {
      const std::string key = NormalizedForCompare(block.text);
      if (!key.empty() &&
          (title_key.find(key) != std::string::npos || key.find(title_key) != std::string::npos)) {
        continue;
      }
    }
    first = false;
    result.characters += CountCodePoints(block.text);
    result.paragraphs.push_back(std::move(block.text));
  }
  return result;
}

}  // namespace

namespace {

// The gumbo tree of `utf8_html`, with tags nested deeper than the extractor walks flattened
// first (LimitNesting); `depth_limited` says whether that happened.
struct ParsedHtml {
  std::string flattened;
  std::unique_ptr<GumboOutput, GumboDeleter> output;
};

ParsedHtml Parse(std::string_view utf8_html, bool& depth_limited) {
  ParsedHtml parsed;
  parsed.flattened = LimitNesting(utf8_html, depth_limited);
  const std::string_view html = depth_limited ? std::string_view(parsed.flattened) : utf8_html;
  parsed.output.reset(gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size()));
  return parsed;
}

std::size_t BodyIndex(const std::vector<NodeInfo>& nodes) {
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].tag == GUMBO_TAG_BODY) return i;
  }
  return 0;
}

// Code points of the text a browser would show in the subtree at `root`, before any boilerplate
// removal (for the statistics).
std::size_t VisibleCharacters(const std::vector<NodeInfo>& nodes, std::size_t root) {
  std::size_t characters = 0;
  for (std::size_t i = root; i < nodes[root].end; ++i) {
    const NodeInfo& info = nodes[i];
    if (!info.is_text) continue;
    bool hidden = false;
    for (int up = info.parent; up >= 0 && up >= static_cast<int>(root);
         up = nodes[static_cast<std::size_t>(up)].parent) {
      const GumboTag tag = nodes[static_cast<std::size_t>(up)].tag;
      if (tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE || tag == GUMBO_TAG_NOSCRIPT ||
          tag == GUMBO_TAG_TEMPLATE) {
        hidden = true;
        break;
      }
    }
    if (!hidden) characters += CountCodePoints(Collapse(info.node->v.text.text));
  }
  return characters;
}

}  // namespace

HtmlExtraction ExtractHtml(std::string_view utf8_html) {
  HtmlExtraction out;
  const ParsedHtml parsed = Parse(utf8_html, out.depth_limited);
  if (parsed.output == nullptr) return out;
  std::vector<NodeInfo> nodes = BuildTable(parsed.output->document, /*strip_unlikely=*/true);
  ReadMetadata(nodes, out);
  const std::size_t body_chars = VisibleCharacters(nodes, BodyIndex(nodes));

  // As Readability does: names are a strong but fallible hint ("container penci_sidebar" holds
  // the article on some themes), so a short result is retried without them and the longer wins.
  BodyText body = ExtractBody(nodes, out.title);
  if (body.characters < kMinBodyCharacters) {
    std::vector<NodeInfo> lenient = BuildTable(parsed.output->document, /*strip_unlikely=*/false);
    BodyText retry = ExtractBody(lenient, out.title);
    if (retry.characters > body.characters) body = std::move(retry);
  }
  const std::size_t kept_chars = body.characters;
  out.paragraphs = std::move(body.paragraphs);
  out.boilerplate_characters = body_chars > kept_chars ? body_chars - kept_chars : 0;
  return out;
}

HtmlExtraction ExtractHtmlFragment(std::string_view utf8_html) {
  HtmlExtraction out;
  const ParsedHtml parsed = Parse(utf8_html, out.depth_limited);
  if (parsed.output == nullptr) return out;
  std::vector<NodeInfo> nodes = BuildTable(parsed.output->document, /*strip_unlikely=*/true);
  const std::size_t body_index = BodyIndex(nodes);
  std::vector<Block> blocks;
  CollectBlocks(nodes, body_index, blocks);
  std::size_t kept_chars = 0;
  for (Block& block : blocks) {
    if (!KeepBlock(block)) continue;
    kept_chars += CountCodePoints(block.text);
    out.paragraphs.push_back(std::move(block.text));
  }
  const std::size_t visible_chars = VisibleCharacters(nodes, body_index);
  out.boilerplate_characters = visible_chars > kept_chars ? visible_chars - kept_chars : 0;
  return out;
}

}  // namespace newswire::pipeline
