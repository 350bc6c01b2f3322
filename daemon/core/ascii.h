#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace newswire {

// ASCII letters lowercased, every other byte kept: for tokens that are ASCII by definition
// (charset labels, tag and attribute names, URL schemes and hosts, HTTP header names, librdkafka
// property values). Not for text: that is Unicode (pipeline/unicode_text.h).
inline char AsciiLower(char character) {
  return character >= 'A' && character <= 'Z' ? static_cast<char>(character - 'A' + 'a')
                                              : character;
}

inline std::string AsciiLower(std::string_view text) {
  std::string lowered(text);
  for (char& character : lowered) character = AsciiLower(character);
  return lowered;
}

inline bool EqualsIgnoringAsciiCase(std::string_view left, std::string_view right) {
  return left.size() == right.size() &&
         std::equal(left.begin(), left.end(), right.begin(),
                    [](char x, char y) { return AsciiLower(x) == AsciiLower(y); });
}

}  // namespace newswire
