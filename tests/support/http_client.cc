#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace newswire::testing {

HttpReply HttpGet(const std::string& address, const std::string& path) {
  const std::size_t colon = address.rfind(':');
  const int port = std::stoi(address.substr(colon + 1));
  const int socket_fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, address.substr(0, colon).c_str(), &target.sin_addr);
  HttpReply reply;
  if (connect(socket_fd, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
    close(socket_fd);
    return reply;
  }
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
  if (send(socket_fd, request.data(), request.size(), 0) < 0) {
    close(socket_fd);
    return reply;
  }
  std::string response;
  char buffer[4096];
  for (ssize_t received; (received = recv(socket_fd, buffer, sizeof buffer, 0)) > 0;) {
    response.append(buffer, static_cast<std::size_t>(received));
  }
  close(socket_fd);
  if (response.rfind("HTTP/1.1 ", 0) != 0) return reply;
  reply.status = std::stoi(response.substr(9, 3));
  if (const std::size_t body = response.find("\r\n\r\n"); body != std::string::npos) {
    reply.body = response.substr(body + 4);
  }
  return reply;
}

double Sample(const std::string& metrics, const std::string& series) {
  for (std::size_t start = 0; start < metrics.size();) {
    std::size_t end = metrics.find('\n', start);
    if (end == std::string::npos) end = metrics.size();
    const std::string line = metrics.substr(start, end - start);
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    start = end + 1;
  }
  return -1;
}

}  // namespace newswire::testing
