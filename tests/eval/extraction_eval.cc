// extraction_eval: runs DecodeHtml over the article-extraction benchmark (Zyte/Scrapinghub, MIT)
// and scores the bodies with that benchmark's metric, so the number is comparable with the
// published ones (trafilatura 0.958, Readability.js 0.947, readability-lxml 0.922):
//   tokens are Python's `\w+` matches, shingles are runs of 4 tokens (a shorter text is one
//   shingle), and per page tp/fp/fn are counted over the shingle multisets; precision and recall
//   are averaged over the pages and F1 is taken from the two means.
// Usage: extraction_eval [--min-f1 X] [--lowercase] [--quiet] [--dump DIR] [DATA_DIR]
// Exit: 0 when F1 >= X, 1 below it, 2 on bad data, 77 when DATA_DIR does not exist (skip).

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <unicode/uchar.h>
#include <unicode/ucnv.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/core/raw_article.h"
#include "daemon/pipeline/decode/html_decoder.h"
#include "daemon/pipeline/unicode_text.h"

namespace {

using newswire::pipeline::NextCodePoint;

constexpr int kSkip = 77;

std::string ReadGzip(const std::filesystem::path& path) {
  std::string out;
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return out;
  std::vector<char> buffer(1 << 16);
  while (true) {
    const int read = gzread(file, buffer.data(), static_cast<unsigned>(buffer.size()));
    if (read <= 0) break;
    out.append(buffer.data(), static_cast<std::size_t>(read));
  }
  gzclose(file);
  return out;
}

// The charset a page declares in its first bytes (<meta charset> or http-equiv), or "".
std::string DeclaredCharset(std::string_view html) {
  std::string head(html.substr(0, 4096));
  std::transform(head.begin(), head.end(), head.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::size_t at = head.find("charset=");
  if (at == std::string::npos) return {};
  std::size_t begin = at + 8;
  while (begin < head.size() && (head[begin] == '"' || head[begin] == '\'')) ++begin;
  std::size_t end = begin;
  while (end < head.size() && (std::isalnum(static_cast<unsigned char>(head[end])) ||
                               head[end] == '-' || head[end] == '_')) {
    ++end;
  }
  return head.substr(begin, end - begin);
}

// Charset conversion is the caller's job in the daemon; the eval tool does a minimal one.
std::string ToUtf8(const std::string& bytes) {
  if (!newswire::pipeline::FindInvalidUtf8(bytes)) return bytes;
  std::string charset = DeclaredCharset(bytes);
  if (charset.empty() || charset == "utf-8" || charset == "utf8") charset = "ISO-8859-1";
  std::string out(bytes.size() * 4 + 16, '\0');
  UErrorCode status = U_ZERO_ERROR;
  const int32_t length =
      ucnv_convert("UTF-8", charset.c_str(), out.data(), static_cast<int32_t>(out.size()),
                   bytes.data(), static_cast<int32_t>(bytes.size()), &status);
  if (U_FAILURE(status)) return newswire::pipeline::ReplaceInvalidUtf8(bytes);
  out.resize(static_cast<std::size_t>(length));
  return out;
}

bool IsWordCharacter(char32_t c) {
  if (c == '_') return true;
  const auto code_point = static_cast<UChar32>(c);
  if (u_isalpha(code_point)) return true;
  const int8_t type = u_charType(code_point);
  return type == U_DECIMAL_DIGIT_NUMBER || type == U_LETTER_NUMBER || type == U_OTHER_NUMBER;
}

std::vector<std::string> Tokenize(std::string_view text, bool lowercase) {
  std::vector<std::string> tokens;
  std::string current;
  std::size_t index = 0;
  while (index < text.size()) {
    char32_t c = NextCodePoint(text, index);
    if (!IsWordCharacter(c)) {
      if (!current.empty()) tokens.push_back(std::move(current));
      current.clear();
      continue;
    }
    if (lowercase) c = static_cast<char32_t>(u_tolower(static_cast<UChar32>(c)));
    char buffer[4];
    std::size_t length = 0;
    if (c < 0x80) {
      buffer[length++] = static_cast<char>(c);
    } else if (c < 0x800) {
      buffer[length++] = static_cast<char>(0xC0 | (c >> 6));
      buffer[length++] = static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      buffer[length++] = static_cast<char>(0xE0 | (c >> 12));
      buffer[length++] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      buffer[length++] = static_cast<char>(0x80 | (c & 0x3F));
    } else {
      buffer[length++] = static_cast<char>(0xF0 | (c >> 18));
      buffer[length++] = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      buffer[length++] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      buffer[length++] = static_cast<char>(0x80 | (c & 0x3F));
    }
    current.append(buffer, length);
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

std::unordered_map<std::string, int> Shingles(std::string_view text, bool lowercase) {
  constexpr std::size_t kN = 4;
  const std::vector<std::string> tokens = Tokenize(text, lowercase);
  std::unordered_map<std::string, int> shingles;
  // As in the benchmark: range(max(1, len - n + 1)), so a text shorter than n is one shingle.
  const std::size_t count =
      std::max<std::size_t>(1, tokens.size() >= kN ? tokens.size() - kN + 1 : 0);
  for (std::size_t i = 0; i < count; ++i) {
    std::string key;
    for (std::size_t j = i; j < std::min(tokens.size(), i + kN); ++j) {
      if (j != i) key.push_back('\x1F');
      key += tokens[j];
    }
    if (!key.empty()) ++shingles[key];
  }
  return shingles;
}

struct Score {
  double tp = 0, fp = 0, fn = 0;
};

Score Match(std::string_view truth, std::string_view prediction, bool lowercase) {
  const auto true_shingles = Shingles(truth, lowercase);
  const auto predicted = Shingles(prediction, lowercase);
  Score score;
  for (const auto& [key, true_count] : true_shingles) {
    const auto it = predicted.find(key);
    const int pred_count = it == predicted.end() ? 0 : it->second;
    score.tp += std::min(true_count, pred_count);
    score.fn += std::max(0, true_count - pred_count);
  }
  for (const auto& [key, pred_count] : predicted) {
    const auto it = true_shingles.find(key);
    const int true_count = it == true_shingles.end() ? 0 : it->second;
    score.fp += std::max(0, pred_count - true_count);
  }
  const double sum = score.tp + score.fp + score.fn;
  if (sum > 0) score = {score.tp / sum, score.fp / sum, score.fn / sum};
  return score;
}

double Precision(const Score& s) {
  if (s.fp == 0 && s.fn == 0) return 1.0;
  if (s.tp == 0 && s.fp == 0) return 0.0;
  return s.tp / (s.tp + s.fp);
}

double Recall(const Score& s) {
  if (s.fp == 0 && s.fn == 0) return 1.0;
  if (s.tp == 0 && s.fn == 0) return 0.0;
  return s.tp / (s.tp + s.fn);
}

std::string Host(std::string_view url) {
  std::size_t begin = url.find("://");
  begin = begin == std::string_view::npos ? 0 : begin + 3;
  const std::size_t end = url.find('/', begin);
  return std::string(url.substr(begin, end == std::string_view::npos ? url.npos : end - begin));
}

}  // namespace

int main(int argc, char** argv) {
  double min_f1 = 0.0;
  bool lowercase = false;
  bool quiet = false;
  std::filesystem::path dump;
  std::filesystem::path data = NEWSWIRE_EXTRACTION_DATA;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--min-f1" && i + 1 < argc) {
      min_f1 = std::atof(argv[++i]);
    } else if (arg == "--lowercase") {
      lowercase = true;
    } else if (arg == "--quiet") {
      quiet = true;
    } else if (arg == "--dump" && i + 1 < argc) {
      dump = argv[++i];
    } else if (arg.starts_with("--")) {
      fmt::print(stderr,
                 "usage: extraction_eval [--min-f1 X] [--lowercase] [--quiet] "
                 "[--dump DIR] [DATA_DIR]\n");
      return 2;
    } else {
      data = arg;
    }
  }
  const std::filesystem::path truth_path = data / "ground-truth.json";
  if (!std::filesystem::exists(truth_path)) {
    fmt::print("SKIP: no benchmark at {}\n", data.string());
    return kSkip;
  }
  std::ifstream truth_file(truth_path, std::ios::binary);
  std::stringstream truth_text;
  truth_text << truth_file.rdbuf();
  rapidjson::Document truth;
  const std::string truth_json = truth_text.str();
  truth.Parse(truth_json.data(), truth_json.size());
  if (truth.HasParseError() || !truth.IsObject()) {
    fmt::print(stderr, "cannot parse {}\n", truth_path.string());
    return 2;
  }
  if (!dump.empty()) std::filesystem::create_directories(dump);

  std::vector<std::string> keys;
  for (const auto& member : truth.GetObject()) keys.emplace_back(member.name.GetString());
  std::sort(keys.begin(), keys.end());

  double precision_sum = 0, recall_sum = 0;
  std::size_t precision_pages = 0, recall_pages = 0, failed = 0;
  if (!quiet) fmt::print("{:<12} {:>6} {:>6} {:>6}  {}\n", "page", "prec", "recall", "f1", "host");
  for (const std::string& key : keys) {
    const rapidjson::Value& entry = truth[key.c_str()];
    const std::string expected = entry.HasMember("articleBody") && entry["articleBody"].IsString()
                                     ? entry["articleBody"].GetString()
                                     : "";
    const std::string url =
        entry.HasMember("url") && entry["url"].IsString() ? entry["url"].GetString() : "";
    newswire::RawArticle raw;
    raw.bytes = ReadGzip(data / "html" / (key + ".html.gz"));
    const std::string utf8 = ToUtf8(raw.bytes);
    std::string body;
    const auto decoded = newswire::pipeline::DecodeHtml(raw, utf8);
    if (decoded && !decoded->empty() && decoded->front()) {
      body = decoded->front()->body;
    } else {
      ++failed;
    }
    if (!dump.empty()) std::ofstream(dump / (key + ".txt"), std::ios::binary) << body;
    const Score score = Match(expected, body, lowercase);
    const double precision = Precision(score);
    const double recall = Recall(score);
    if (score.tp + score.fp > 0) {
      precision_sum += precision;
      ++precision_pages;
    }
    if (score.tp + score.fn > 0) {
      recall_sum += recall;
      ++recall_pages;
    }
    if (!quiet) {
      const double f1 =
          precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
      fmt::print("{:<12} {:6.3f} {:6.3f} {:6.3f}  {}\n", key.substr(0, 12), precision, recall, f1,
                 Host(url));
    }
  }
  const double precision =
      precision_pages ? precision_sum / static_cast<double>(precision_pages) : 0;
  const double recall = recall_pages ? recall_sum / static_cast<double>(recall_pages) : 0;
  const double f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
  fmt::print("pages {}  no article {}  shingles {}\n", keys.size(), failed,
             lowercase ? "lowercased" : "as written (benchmark)");
  fmt::print("precision {:.4f}  recall {:.4f}  F1 {:.4f}  (threshold {:.3f})\n", precision, recall,
             f1, min_f1);
  return f1 >= min_f1 ? 0 : 1;
}
