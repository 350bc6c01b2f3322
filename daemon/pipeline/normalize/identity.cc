#include "daemon/pipeline/normalize/identity.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <initializer_list>
#include <vector>

#include "daemon/pipeline/unicode_text.h"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack instead of XXH3_createState()
#include <xxhash.h>

namespace newswire::pipeline {
namespace {

constexpr std::string_view kParagraphSeparator = "\n\n";

// Query parameters that say who shared or advertised a link, never which page it is. Compared
// lowercased; "utm_" is a prefix.
constexpr std::array<std::string_view, 18> kTrackingParameters = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid",  "igshid",
    "yclid",  "_ga",   "_gl",   "ocid",   "cmpid",  "mkt_tok", "smid",   "ref_src", "ref_url"};

bool IsTrackingParameter(std::string_view parameter) {
  const std::string name = AsciiLower(parameter.substr(0, parameter.find('=')));
  if (name.starts_with("utm_")) return true;
  return std::find(kTrackingParameters.begin(), kTrackingParameters.end(), name) !=
         kTrackingParameters.end();
}

// "%2f" and "%2F" are the same byte; one spelling for the key.
std::string UppercasePercentEscapes(std::string_view text) {
  std::string out(text);
  for (std::size_t index = 0; index + 2 < out.size(); ++index) {
    if (out[index] != '%') continue;
    for (std::size_t digit = index + 1; digit <= index + 2; ++digit) {
      if (out[digit] >= 'a' && out[digit] <= 'f') out[digit] = static_cast<char>(out[digit] - 32);
    }
  }
  return out;
}

std::string_view TrimAscii(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const std::size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

std::string HostKey(std::string_view authority) {
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  // The port follows the last ':' unless that colon is inside an IPv6 literal "[...]".
  const std::size_t colon = authority.rfind(':');
  const std::size_t bracket = authority.rfind(']');
  std::string_view port;
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    port = authority.substr(colon + 1);
    authority = authority.substr(0, colon);
  }
  std::string host = AsciiLower(authority);
  while (!host.empty() && host.back() == '.') host.pop_back();
  if (host.starts_with("www.")) host.erase(0, 4);
  if (host.empty()) return host;
  if (!port.empty() && port != "80" && port != "443") host += fmt::format(":{}", port);
  return host;
}

}  // namespace

std::string UrlIdentityKey(std::string_view url) {
  url = TrimAscii(url);
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return {};
  const std::string scheme = AsciiLower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return {};
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('#'));

  const std::size_t authority_end = rest.find_first_of("/?");
  std::string key = HostKey(rest.substr(0, authority_end));
  if (key.empty()) return {};
  rest = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);

  const std::size_t query_begin = rest.find('?');
  std::string_view path = rest.substr(0, query_begin);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  key += UppercasePercentEscapes(path);

  if (query_begin == std::string_view::npos) return key;
  std::vector<std::string_view> parameters;
  std::string_view query = rest.substr(query_begin + 1);
  while (!query.empty()) {
    const std::size_t end = query.find('&');
    const std::string_view parameter = query.substr(0, end);
    if (!parameter.empty() && !IsTrackingParameter(parameter)) parameters.push_back(parameter);
    query = end == std::string_view::npos ? std::string_view{} : query.substr(end + 1);
  }
  std::sort(parameters.begin(), parameters.end());
  for (std::size_t index = 0; index < parameters.size(); ++index) {
    key += index == 0 ? '?' : '&';
    key += UppercasePercentEscapes(parameters[index]);
  }
  return key;
}

namespace {

// XXH3-128 of the concatenated parts, streamed so the concatenation is never built.
std::string HashOfParts(std::initializer_list<std::string_view> parts) {
  XXH3_state_t state;
  XXH3_INITSTATE(&state);
  XXH3_128bits_reset(&state);
  for (const std::string_view part : parts) XXH3_128bits_update(&state, part.data(), part.size());
  const XXH128_hash_t hash = XXH3_128bits_digest(&state);
  return fmt::format("{:016x}{:016x}", hash.high64, hash.low64);
}

}  // namespace

std::string Hash128Hex(std::string_view text) { return HashOfParts({text}); }

std::string TextHash(std::string_view title, std::string_view body) {
  return HashOfParts({title, kParagraphSeparator, body});
}

void AssignIdentity(Article& article) {
  std::string url_key;
  if (url_key = UrlIdentityKey(article.canonical_url); !url_key.empty()) {
    article.provenance["id"] = "canonical_url";
  } else if (url_key = UrlIdentityKey(article.url); !url_key.empty()) {
    article.provenance["id"] = "url";
  } else {
    article.provenance["id"] = "text";
  }
  article.id =
      url_key.empty() ? TextHash(article.title, article.body) : HashOfParts({"url:", url_key});
  article.fingerprints.content_hash = Hash128Hex(article.body);
  article.fingerprints.revision = HashOfParts(
      {article.id, kParagraphSeparator, article.title, kParagraphSeparator, article.body});
}

}  // namespace newswire::pipeline
