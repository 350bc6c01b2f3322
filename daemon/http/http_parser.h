#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "daemon/http/http_server.h"

// The pure half of the HTTP server: finding, parsing and answering a request head. No sockets, so
// the edge cases are tested with strings. Used by HttpServer; any thread.
namespace newswire::http {

// A request head the server refuses, and the status to answer it with (400 or 505).
struct HeadProblem {
  int status = 400;
  std::string message;  // for the response body and debug logs
};

struct ParsedHead {
  HttpRequest request;
  // Content-Length > 0 or a Transfer-Encoding: the client means to send a body, which the server
  // does not accept (413).
  bool has_body = false;
};

// How many bytes of empty lines ("\r\n" or "\n") `data` starts with; RFC 9112 lets a server
// ignore them before the request line.
std::size_t LeadingEmptyLineBytes(std::string_view data);

// The length of the request head at the start of `data`, through the empty line that ends it
// (CRLF or a bare LF, which RFC 9112 allows a server to accept), or std::string_view::npos when
// the head is not complete yet.
std::size_t FindHeadEnd(std::string_view data);

// Parses a complete head (what FindHeadEnd measured). Checks the request line, the version, the
// header syntax (no obsolete line folding, no space before the colon), Host for HTTP/1.1 and
// Content-Length; strips the query string from the path. Accepts any method token: the server
// decides what to do with it.
tl::expected<ParsedHead, HeadProblem> ParseRequestHead(std::string_view head);

// "OK", "Not Found"...; empty for a status it does not know (the reason phrase is optional).
std::string_view ReasonPhrase(int status);

// An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") for the Date header, independent of the
// locale.
std::string HttpDate(std::chrono::system_clock::time_point time);

// The status line and headers of a response, through the empty line. Content-Length and
// Content-Type are left out for 204 and 304 (`content_length` is ignored then); `allow` adds
// "Allow: GET, HEAD".
std::string RenderResponseHead(int status, std::string_view content_type,
                               std::size_t content_length, bool allow, std::string_view date);

// Whether a handler's content type can go into a header as it is (no control characters).
bool IsValidHeaderValue(std::string_view value);

}  // namespace newswire::http
