#include "daemon/http/http_parser.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace newswire::http {
namespace {

TEST(FindHeadEnd, AcceptsCrlfAndBareLf) {
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 27u);
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.0\n\n"), 16u);
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.0\r\n\n"), 17u);
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\n\r\nbody"), 18u);
}

TEST(FindHeadEnd, IncompleteHeadIsNpos) {
  EXPECT_EQ(FindHeadEnd(""), std::string_view::npos);
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\nHost: a\r\n"), std::string_view::npos);
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\nHost: a\r\n\r"), std::string_view::npos);
}

TEST(LeadingEmptyLineBytes, CountsOnlyWholeEmptyLines) {
  EXPECT_EQ(LeadingEmptyLineBytes("\r\n\nGET"), 3u);
  EXPECT_EQ(LeadingEmptyLineBytes("GET"), 0u);
  EXPECT_EQ(LeadingEmptyLineBytes("\r"), 0u);
}

TEST(ParseRequestHead, ParsesRequestLineHeadersAndQuery) {
  auto parsed = ParseRequestHead(
      "GET /metrics?name[]=a&x=1 HTTP/1.1\r\nHost: localhost:9100\r\nAccept:  text/plain \r\n\r\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->request.method, "GET");
  EXPECT_EQ(parsed->request.path, "/metrics");
  EXPECT_EQ(parsed->request.query, "name[]=a&x=1");
  EXPECT_EQ(parsed->request.version, "HTTP/1.1");
  ASSERT_EQ(parsed->request.headers.size(), 2u);
  EXPECT_EQ(parsed->request.headers[0].first, "host");
  EXPECT_EQ(parsed->request.Header("ACCEPT").value_or(""), "text/plain");
  EXPECT_FALSE(parsed->request.Header("cookie").has_value());
  EXPECT_FALSE(parsed->has_body);
}

TEST(ParseRequestHead, AbsoluteFormTargetBecomesItsPath) {
  auto parsed =
      ParseRequestHead("GET http://example.net:9100/health?x HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->request.path, "/health");
  EXPECT_EQ(parsed->request.query, "x");
  auto bare = ParseRequestHead("GET http://example.net HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(bare) << bare.error().message;
  EXPECT_EQ(bare->request.path, "/");
}

TEST(ParseRequestHead, Http10NeedsNoHost) {
  EXPECT_TRUE(ParseRequestHead("GET / HTTP/1.0\r\n\r\n"));
  auto missing_host = ParseRequestHead("GET / HTTP/1.1\r\n\r\n");
  ASSERT_FALSE(missing_host);
  EXPECT_EQ(missing_host.error().status, 400);
}

TEST(ParseRequestHead, RejectsMalformedHeads) {
  for (const char* head : {
           "garbage\r\n\r\n",
           "GET\r\n\r\n",
           "GET /\r\n\r\n",
           "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
           "GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n",
           "GET / http/1.1\r\nHost: a\r\n\r\n",
           "GET / HTTP/1.12\r\nHost: a\r\n\r\n",
           "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
           "GET metrics HTTP/1.1\r\nHost: a\r\n\r\n",
           "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nNo colon here\r\n\r\n",
           "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
           "GET / HTTP/1.1\r\n: empty name\r\nHost: a\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
       }) {
    auto parsed = ParseRequestHead(head);
    ASSERT_FALSE(parsed) << head;
    EXPECT_EQ(parsed.error().status, 400) << head;
  }
}

TEST(ParseRequestHead, OtherHttpVersionsAre505) {
  auto parsed = ParseRequestHead("GET / HTTP/2.0\r\nHost: a\r\n\r\n");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().status, 505);
}

TEST(ParseRequestHead, NoticesAnAnnouncedBody) {
  auto zero = ParseRequestHead("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 00\r\n\r\n");
  ASSERT_TRUE(zero);
  EXPECT_FALSE(zero->has_body);
  auto some = ParseRequestHead("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n");
  ASSERT_TRUE(some);
  EXPECT_TRUE(some->has_body);
  auto chunked =
      ParseRequestHead("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_TRUE(chunked);
  EXPECT_TRUE(chunked->has_body);
}

TEST(ParseRequestHead, AcceptsAnyMethodToken) {
  auto parsed = ParseRequestHead("PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->request.method, "PROPFIND");
}

TEST(HttpDate, FormatsImfFixdate) {
  EXPECT_EQ(HttpDate(std::chrono::system_clock::from_time_t(784111777)),
            "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(RenderResponseHead, CarriesLengthAndClose) {
  EXPECT_EQ(RenderResponseHead(200, "text/plain", 5, false, "D"),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nDate: D\r\n"
            "Connection: close\r\n\r\n");
  EXPECT_EQ(RenderResponseHead(405, "text/plain", 0, true, "D"),
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n"
            "Allow: GET, HEAD\r\nDate: D\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(RenderResponseHead(204, "text/plain", 5, false, "D"),
            "HTTP/1.1 204 No Content\r\nDate: D\r\nConnection: close\r\n\r\n");
}

}  // namespace
}  // namespace newswire::http
