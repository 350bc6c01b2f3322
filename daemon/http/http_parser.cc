#include "daemon/http/http_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <ctime>

#include "daemon/core/ascii.h"

namespace newswire::http {
namespace {

// tchar of RFC 9110: the characters of a method or a header name.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsTokenChar);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         EqualsIgnoringAsciiCase(text.substr(0, prefix.size()), prefix);
}

std::string_view TrimWhitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Visible characters only: the request target has no spaces or controls, and no bytes >= 0x80
// (RFC 3986 percent-encodes those).
bool IsValidTarget(std::string_view target) {
  return !target.empty() && std::all_of(target.begin(), target.end(), [](char c) {
    return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
}

tl::unexpected<HeadProblem> Problem(int status, std::string message) {
  return tl::unexpected<HeadProblem>(HeadProblem{status, std::move(message)});
}

// Splits off the next line (without its "\r\n" or "\n") from the front of `rest`.
std::string_view NextLine(std::string_view& rest) {
  std::size_t newline = rest.find('\n');
  std::string_view line = rest.substr(0, newline);
  rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

std::optional<std::string_view> HttpRequest::Header(std::string_view name) const {
  for (const auto& [header_name, value] : headers) {
    if (EqualsIgnoringAsciiCase(header_name, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::size_t LeadingEmptyLineBytes(std::string_view data) {
  std::size_t skipped = 0;
  while (true) {
    std::string_view rest = data.substr(skipped);
    if (rest.starts_with("\r\n")) {
      skipped += 2;
    } else if (rest.starts_with("\n")) {
      skipped += 1;
    } else {
      return skipped;
    }
  }
}

std::size_t FindHeadEnd(std::string_view data) {
  // The head ends at the first line break that directly follows another one (an empty line);
  // "\r\n\r\n", "\n\n", "\n\r\n" and "\r\n\n" all count.
  for (std::size_t newline = data.find('\n'); newline != std::string_view::npos;
       newline = data.find('\n', newline + 1)) {
    std::size_t next = newline + 1;
    if (next < data.size() && data[next] == '\n') return next + 1;
    if (next + 1 < data.size() && data[next] == '\r' && data[next + 1] == '\n') return next + 2;
  }
  return std::string_view::npos;
}

tl::expected<ParsedHead, HeadProblem> ParseRequestHead(std::string_view head) {
  std::string_view rest = head;
  std::string_view request_line = NextLine(rest);

  // method SP request-target SP HTTP-version, single spaces, nothing else.
  std::size_t first_space = request_line.find(' ');
  std::size_t second_space = first_space == std::string_view::npos
                                 ? std::string_view::npos
                                 : request_line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos ||
      request_line.find(' ', second_space + 1) != std::string_view::npos) {
    return Problem(400, "malformed request line");
  }
  std::string_view method = request_line.substr(0, first_space);
  std::string_view target = request_line.substr(first_space + 1, second_space - first_space - 1);
  std::string_view version = request_line.substr(second_space + 1);
  if (!IsToken(method)) return Problem(400, "malformed method");
  if (!IsValidTarget(target)) return Problem(400, "malformed request target");
  if (version.size() != 8 || !version.starts_with("HTTP/") || !IsDigit(version[5]) ||
      version[6] != '.' || !IsDigit(version[7])) {
    return Problem(400, "malformed HTTP version");
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return Problem(505, fmt::format("{} is not supported; use HTTP/1.1", version));
  }

  // RFC 9112 3.2.2: a server must accept the absolute form ("http://host/path") too.
  if (StartsWithIgnoringCase(target, "http://") || StartsWithIgnoringCase(target, "https://")) {
    std::size_t authority = target.find("//") + 2;
    std::size_t path_start = target.find_first_of("/?", authority);
    target =
        path_start == std::string_view::npos ? std::string_view("/") : target.substr(path_start);
  }
  if (target.front() != '/') return Problem(400, "request target is not a path");

  ParsedHead parsed;
  HttpRequest& request = parsed.request;
  request.method = std::string(method);
  request.version = std::string(version);
  std::size_t query = target.find('?');
  std::string_view path = target.substr(0, query);
  // A fragment never belongs in a request; a client that sends one anyway gets the path.
  path = path.substr(0, path.find('#'));
  request.path = path.empty() ? "/" : std::string(path);
  if (query != std::string_view::npos) {
    std::string_view query_text = target.substr(query + 1);
    request.query = std::string(query_text.substr(0, query_text.find('#')));
  }

  bool content_length_seen = false;
  while (!rest.empty()) {
    std::string_view line = NextLine(rest);
    if (line.empty()) break;  // the blank line that ends the head
    if (line.front() == ' ' || line.front() == '\t') {
      return Problem(400, "obsolete header line folding");
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return Problem(400, "header line without a colon");
    std::string_view name = line.substr(0, colon);
    // A space before the colon must be rejected (RFC 9112 5.1): it is a request-smuggling trick.
    if (!IsToken(name)) return Problem(400, "malformed header name");
    std::string_view value = TrimWhitespace(line.substr(colon + 1));
    if (std::any_of(value.begin(), value.end(), [](char c) {
          return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
        })) {
      return Problem(400, "control character in a header value");
    }
    std::string lower_name = AsciiLower(name);
    if (lower_name == "content-length") {
      if (value.empty() || !std::all_of(value.begin(), value.end(), IsDigit)) {
        return Problem(400, "malformed Content-Length");
      }
      if (content_length_seen) return Problem(400, "more than one Content-Length");
      content_length_seen = true;
      if (value.find_first_not_of('0') != std::string_view::npos) parsed.has_body = true;
    } else if (lower_name == "transfer-encoding") {
      parsed.has_body = true;
    }
    request.headers.emplace_back(std::move(lower_name), std::string(value));
  }
  // RFC 9112 3.2: a server must answer 400 to an HTTP/1.1 request without a Host header.
  if (version == "HTTP/1.1" && !request.Header("host")) {
    return Problem(400, "HTTP/1.1 request without a Host header");
  }
  return parsed;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "";
  }
}

std::string HttpDate(std::chrono::system_clock::time_point time) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays.at(utc.tm_wday), utc.tm_mday,
                     kMonths.at(utc.tm_mon), utc.tm_year + 1900, utc.tm_hour, utc.tm_min,
                     utc.tm_sec);
}

std::string RenderResponseHead(int status, std::string_view content_type,
                               std::size_t content_length, bool allow, std::string_view date) {
  std::string head = fmt::format("HTTP/1.1 {} {}\r\n", status, ReasonPhrase(status));
  if (status != 204 && status != 304) {
    head += fmt::format("Content-Type: {}\r\nContent-Length: {}\r\n", content_type, content_length);
  }
  if (allow) head += "Allow: GET, HEAD\r\n";
  head += fmt::format("Date: {}\r\nConnection: close\r\n\r\n", date);
  return head;
}

bool IsValidHeaderValue(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) {
    return (static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f;
  });
}

}  // namespace newswire::http
