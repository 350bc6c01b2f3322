#include "daemon/pipeline/classify/topic_model.h"

#include <fasttext/args.h>
#include <fasttext/fasttext.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "daemon/pipeline/classify/evaluation.h"

namespace newswire::pipeline {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr std::string_view kTaxonomy =
    "medtop:04000000\t\t\teconomy, business and finance\t\n"
    "medtop:11000000\t\t\tpolitics and government\t\n"
    "medtop:20000638\tmedtop:11000000\t\tinternational relations\t\n"
    "medtop:15000000\t\t\tsport\t\n";

const Taxonomy& TestTaxonomy() {
  static const Taxonomy taxonomy = *Taxonomy::Parse(kTaxonomy, "test.tsv");
  return taxonomy;
}

// A fresh directory under the system's temporary directory, removed with the fixture.
class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    std::string pattern = (fs::temp_directory_path() / "topic-model-test-XXXXXX").string();
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    path_ = pattern;
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  std::string File(std::string_view name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// Three classes with their own vocabulary; the diplomacy class is a subtopic of politics.
std::vector<TrainingExample> SyntheticExamples() {
  const std::vector<std::pair<std::string, std::vector<std::string>>> classes = {
      {"medtop:15000000",
       {"football", "goal", "striker", "league", "match", "coach", "stadium", "penalty"}},
      {"medtop:04000000",
       {"shares", "market", "inflation", "bank", "profit", "investors", "prices", "economy"}},
      {"medtop:20000638",
       {"embassy", "ambassador", "treaty", "diplomats", "summit", "sanctions", "foreign", "envoy"}},
  };
  std::vector<TrainingExample> examples;
  for (int round = 0; round < 12; ++round) {
    for (const auto& [code, words] : classes) {
      std::string body;
      for (std::size_t index = 0; index < 6; ++index) {
        body += words[(round + 3 * index) % words.size()] + " the and of ";
      }
      examples.push_back({code, words[round % words.size()] + " news", body});
    }
  }
  return examples;
}

TrainOptions SmallOptions(const TemporaryDirectory& directory) {
  TrainOptions options;
  options.dimensions = 10;
  options.buckets = 1000;
  options.epochs = 30;
  options.temporary_directory = directory.File("");
  return options;
}

// One model for the tests that only predict: training takes a moment.
const TopicModel& TrainedModel() {
  static const std::shared_ptr<const TopicModel> model = [] {
    const TemporaryDirectory directory;
    const std::string path = directory.File("model.bin");
    const auto trained = TopicModel::Train(SyntheticExamples(), SmallOptions(directory), path);
    EXPECT_TRUE(trained.has_value()) << trained.error().Describe();
    auto loaded = TopicModel::Load(path, TestTaxonomy());
    EXPECT_TRUE(loaded.has_value()) << loaded.error().Describe();
    return loaded ? *loaded : nullptr;
  }();
  return *model;
}

Article MakeArticle(std::string title, std::string body) {
  Article article;
  article.title = std::move(title);
  article.body = std::move(body);
  return article;
}

TopicTag RuleTag(std::string code, double score, std::vector<std::string> ancestors = {}) {
  TopicTag tag;
  tag.scheme = "iptc-medtop";
  tag.code = std::move(code);
  tag.score = score;
  tag.ancestors = std::move(ancestors);
  tag.method = "rule";
  tag.evidence.push_back({"title", 0, 4, "word", "rule-id"});
  return tag;
}

TopicTag ModelTag(std::string code, double probability) {
  TopicTag tag;
  tag.scheme = "iptc-medtop";
  tag.code = std::move(code);
  tag.probability = probability;
  tag.score = probability;
  tag.method = "model";
  return tag;
}

TEST(TopicModelLinesTest, FoldsSplitsAndRepeatsTheTitle) {
  EXPECT_THAT(
      TopicModelLines("Élection: Macron wins!", "The vote—counted\tin 2022.\nDone"),
      ElementsAre("election macron wins election macron wins the vote counted in 2022 done"));
  EXPECT_THAT(TopicModelLines("", "Body only"), ElementsAre("body only"));
  EXPECT_THAT(TopicModelLines("Title only", "--"), ElementsAre("title only title only"));
  EXPECT_THAT(TopicModelLines("...", " \n\t"), IsEmpty());
}

TEST(TopicModelLinesTest, LongBodiesAreCutIntoLinesOfFiftyWordsEachWithTheTitle) {
  std::string body;
  for (int word = 0; word < 120; ++word) body += fmt::format("w{}. ", word);
  const auto lines = TopicModelLines("Head", body);
  ASSERT_EQ(lines.size(), 3U);
  EXPECT_TRUE(lines[0].starts_with("head head w0 w1 "));
  EXPECT_TRUE(lines[0].ends_with(" w49"));
  EXPECT_TRUE(lines[1].starts_with("head head w50 "));
  EXPECT_TRUE(lines[1].ends_with(" w99"));
  EXPECT_EQ(lines[2].substr(0, 14), "head head w100");
  EXPECT_TRUE(lines[2].ends_with(" w119"));
}

TEST(TopicModelLinesTest, TrainingLinesAreTheLabelAndThePredictionLines) {
  const TrainingExample example{"medtop:15000000", "Cup Final", "Goal!\nIn the\t90th minute."};
  const auto lines = TrainingLines(example);
  ASSERT_TRUE(lines.has_value()) << lines.error().Describe();
  // The same function makes the lines that Predict gives fastText.
  std::string expected;
  for (const auto& line : TopicModelLines(example.title, example.body)) {
    expected += "__label__15000000 " + line + "\n";
  }
  EXPECT_EQ(*lines, expected);
  EXPECT_EQ(*lines, "__label__15000000 cup final cup final goal in the 90th minute\n");
}

TEST(TopicModelLinesTest, TrainingLinesKeepEveryPieceOnOneLine) {
  const auto lines = TrainingLines({"15000000", "A\r\nB\tC", "x\n\n\ny\v\fz __label__99 \"q\""});
  ASSERT_TRUE(lines.has_value());
  EXPECT_EQ(lines->find('\t'), std::string::npos);
  EXPECT_EQ(lines->find('\r'), std::string::npos);
  EXPECT_EQ(lines->find('\n'), lines->size() - 1);
  // A label marker in the text cannot become a second label: '_' separates words.
  EXPECT_EQ(*lines, "__label__15000000 a b c a b c x y z label 99 q\n");
}

TEST(TopicModelLinesTest, TrainingLinesRefuseMalformedCodes) {
  for (const std::string code :
       {"", "sports", "medtop:1500", "medtop:1500000x", "medtop 15000000"}) {
    const auto lines = TrainingLines({code, "t", "b"});
    ASSERT_FALSE(lines.has_value()) << code;
    EXPECT_EQ(lines.error().stage, Stage::kClassify);
    EXPECT_THAT(lines.error().message, HasSubstr("not an IPTC Media Topic code"));
  }
}

TEST(TopicModelTest, PredictsLabelsProbabilitiesAndAncestors) {
  const TopicModel& model = TrainedModel();
  EXPECT_THAT(model.codes(), ::testing::UnorderedElementsAre("medtop:15000000", "medtop:04000000",
                                                             "medtop:20000638"));

  const auto sport = model.Predict(MakeArticle("Striker scores",
                                               "The football match at the "
                                               "stadium ended with a penalty."));
  ASSERT_TRUE(sport.has_value()) << sport.error().Describe();
  ASSERT_THAT(*sport, Not(IsEmpty()));
  const TopicTag& best = sport->front();
  EXPECT_EQ(best.code, "medtop:15000000");
  EXPECT_EQ(best.label, "sport");
  EXPECT_EQ(best.scheme, "iptc-medtop");
  EXPECT_EQ(best.method, "model");
  EXPECT_GT(best.probability, 0.5);
  EXPECT_LE(best.probability, 1.0);
  EXPECT_DOUBLE_EQ(best.score, best.probability);
  EXPECT_THAT(best.ancestors, IsEmpty());
  EXPECT_THAT(best.evidence, IsEmpty());
  for (std::size_t index = 1; index < sport->size(); ++index) {
    EXPECT_LE((*sport)[index].probability, (*sport)[index - 1].probability);
    EXPECT_GE((*sport)[index].probability, PredictOptions{}.threshold);
  }

  const auto diplomacy = model.Predict(MakeArticle("Envoy recalled",
                                                   "The ambassador left the embassy as the "
                                                   "treaty summit failed over sanctions."));
  ASSERT_TRUE(diplomacy.has_value());
  ASSERT_THAT(*diplomacy, Not(IsEmpty()));
  EXPECT_EQ(diplomacy->front().code, "medtop:20000638");
  EXPECT_EQ(diplomacy->front().label, "international relations");
  EXPECT_THAT(diplomacy->front().ancestors, ElementsAre("medtop:11000000"));
}

TEST(TopicModelTest, ArticleWithoutWordsGetsNoTags) {
  const auto tags = TrainedModel().Predict(MakeArticle("", "  -- ... "));
  ASSERT_TRUE(tags.has_value());
  EXPECT_THAT(*tags, IsEmpty());
}

TEST(TopicModelTest, TopKAndThresholdLimitTheTags) {
  const TemporaryDirectory directory;
  const std::string path = directory.File("model.bin");
  ASSERT_TRUE(TopicModel::Train(SyntheticExamples(), SmallOptions(directory), path));
  const auto one = TopicModel::Load(path, TestTaxonomy(), {.top_k = 1, .threshold = 0.0});
  ASSERT_TRUE(one.has_value());
  const Article article = MakeArticle("Market news", "shares and prices and the bank");
  EXPECT_EQ((*one)->Predict(article)->size(), 1U);
  const auto all = TopicModel::Load(path, TestTaxonomy(), {.top_k = 3, .threshold = 0.0});
  EXPECT_EQ((*all)->Predict(article)->size(), 3U);
  const auto none = TopicModel::Load(path, TestTaxonomy(), {.top_k = 3, .threshold = 1.01});
  EXPECT_THAT(*(*none)->Predict(article), IsEmpty());
}

TEST(TopicModelTest, TrainingIsDeterministicAndLeavesNoTemporaryFiles) {
  const TemporaryDirectory directory;
  const TrainOptions options = SmallOptions(directory);
  ASSERT_TRUE(TopicModel::Train(SyntheticExamples(), options, directory.File("first.bin")));
  ASSERT_TRUE(TopicModel::Train(SyntheticExamples(), options, directory.File("second.bin")));
  auto contents = [](const std::string& path) {
    std::ifstream stream(path, std::ios::binary);
    std::ostringstream buffer;
    buffer << stream.rdbuf();
    return std::move(buffer).str();
  };
  const std::string first = contents(directory.File("first.bin"));
  EXPECT_FALSE(first.empty());
  EXPECT_TRUE(first == contents(directory.File("second.bin")));
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(directory.File(""))) {
    left.push_back(entry.path().filename().string());
  }
  EXPECT_THAT(left, ::testing::UnorderedElementsAre("first.bin", "second.bin"));
}

TEST(TopicModelTest, TrainingFailsCleanly) {
  const TemporaryDirectory directory;
  const TrainOptions options = SmallOptions(directory);
  const auto empty = TopicModel::Train({}, options, directory.File("m.bin"));
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code, ErrorCode::kEmptyInput);

  const auto bad_code = TopicModel::Train({{"sport", "t", "b"}}, options, directory.File("m.bin"));
  ASSERT_FALSE(bad_code.has_value());
  EXPECT_THAT(bad_code.error().message, HasSubstr("'sport'"));

  const auto unwritable =
      TopicModel::Train(SyntheticExamples(), options, directory.File("missing/dir/m.bin"));
  ASSERT_FALSE(unwritable.has_value());
  EXPECT_EQ(unwritable.error().stage, Stage::kClassify);
  EXPECT_FALSE(fs::exists(directory.File("m.bin")));
}

// A .vec file with a vector of `dimensions` numbers for each word, different per word.
std::string WriteVectors(const TemporaryDirectory& directory, const std::vector<std::string>& words,
                         int dimensions) {
  const std::string path = directory.File("vectors.vec");
  std::ofstream stream(path);
  stream << words.size() << " " << dimensions << "\n";
  for (std::size_t index = 0; index < words.size(); ++index) {
    stream << words[index];
    for (int dimension = 0; dimension < dimensions; ++dimension) {
      stream << " " << ((index + static_cast<std::size_t>(dimension)) % 3 == 0 ? 0.5 : -0.25);
    }
    stream << "\n";
  }
  return path;
}

TEST(TopicModelTest, TrainingStartsFromPretrainedVectorsAndTakesTheirDimensions) {
  const TemporaryDirectory directory;
  TrainOptions options = SmallOptions(directory);
  ASSERT_EQ(options.dimensions, 10);
  options.pretrained_vectors = WriteVectors(directory, {"football", "market", "embassy"}, 7);
  const std::string path = directory.File("model.bin");
  const auto trained = TopicModel::Train(SyntheticExamples(), options, path);
  ASSERT_TRUE(trained.has_value()) << trained.error().Describe();

  fasttext::FastText fast_text;
  fast_text.loadModel(path);
  EXPECT_EQ(fast_text.getDimension(), 7);
  const auto loaded = TopicModel::Load(path, TestTaxonomy());
  ASSERT_TRUE(loaded.has_value()) << loaded.error().Describe();
  const auto tags = (*loaded)->Predict(MakeArticle("Striker scores", "football match penalty"));
  ASSERT_TRUE(tags.has_value());
  ASSERT_THAT(*tags, Not(IsEmpty()));
  EXPECT_EQ(tags->front().code, "medtop:15000000");
}

TEST(TopicModelTest, PretrainedVectorsMustBeAReadableVecFile) {
  const TemporaryDirectory directory;
  TrainOptions options = SmallOptions(directory);
  options.pretrained_vectors = directory.File("missing.vec");
  const auto missing = TopicModel::Train(SyntheticExamples(), options, directory.File("m.bin"));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
  EXPECT_THAT(missing.error().message, HasSubstr("missing.vec"));

  options.pretrained_vectors = directory.File("model.bin.txt");
  std::ofstream(options.pretrained_vectors) << "football 0.1 0.2\n";
  const auto headless = TopicModel::Train(SyntheticExamples(), options, directory.File("m.bin"));
  ASSERT_FALSE(headless.has_value());
  EXPECT_EQ(headless.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(headless.error().message, HasSubstr("is not a fastText .vec file"));
  EXPECT_FALSE(fs::exists(directory.File("m.bin")));
}

TEST(TopicModelTest, PredictsTheSameFromManyThreads) {
  const TopicModel& model = TrainedModel();
  const std::vector<Article> articles = {
      MakeArticle("League", "the coach and the striker"),
      MakeArticle("Inflation", "prices rise and investors sell shares"),
      MakeArticle("Summit", "diplomats meet at the embassy"),
  };
  std::vector<std::vector<TopicTag>> expected;
  for (const Article& article : articles) expected.push_back(*model.Predict(article));

  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t thread_index = 0; thread_index < mismatches.size(); ++thread_index) {
    threads.emplace_back([&, thread_index] {
      for (int round = 0; round < 200; ++round) {
        const std::size_t index = (thread_index + round) % articles.size();
        const auto tags = model.Predict(articles[index]);
        if (!tags || tags->size() != expected[index].size() ||
            tags->front().code != expected[index].front().code ||
            tags->front().probability != expected[index].front().probability) {
          ++mismatches[thread_index];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_THAT(mismatches, ::testing::Each(0));
}

TEST(TopicModelLoadTest, MissingFileIsAConfigErrorNamingTheFile) {
  const auto loaded = TopicModel::Load("/nonexistent/model.bin", TestTaxonomy());
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().stage, Stage::kConfig);
  EXPECT_THAT(loaded.error().message, HasSubstr("/nonexistent/model.bin"));
  EXPECT_THAT(loaded.error().message, HasSubstr("No such file"));
}

TEST(TopicModelLoadTest, FileThatIsNoModelIsRefused) {
  const TemporaryDirectory directory;
  const std::string path = directory.File("text.bin");
  std::ofstream(path) << "__label__15000000 this is a training file, not a model\n";
  const auto loaded = TopicModel::Load(path, TestTaxonomy());
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().stage, Stage::kConfig);
  EXPECT_THAT(loaded.error().message, HasSubstr("not a fastText model"));
  EXPECT_FALSE(TopicModel::Load(directory.File(""), TestTaxonomy()).has_value());
}

TEST(TopicModelLoadTest, LabelsMustBeCodesOfTheTaxonomy) {
  const TemporaryDirectory directory;
  // A model trained by fastText itself on dataset names instead of codes.
  const std::string training_path = directory.File("train.txt");
  {
    std::ofstream training(training_path);
    for (int round = 0; round < 5; ++round) {
      training << "__label__sports football goal\n__label__medtop:04000000 shares market\n";
    }
  }
  fasttext::Args args;
  args.input = training_path;
  args.model = fasttext::model_name::sup;
  args.loss = fasttext::loss_name::softmax;
  args.minCount = 1;
  args.minn = 0;
  args.maxn = 0;
  args.bucket = 0;
  args.dim = 5;
  args.thread = 1;
  args.verbose = 0;
  fasttext::FastText fast_text;
  fast_text.train(args);
  const std::string path = directory.File("names.bin");
  fast_text.saveModel(path);

  const auto loaded = TopicModel::Load(path, TestTaxonomy());
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().stage, Stage::kConfig);
  EXPECT_THAT(loaded.error().message, HasSubstr(path));
  EXPECT_THAT(loaded.error().message,
              HasSubstr("label '__label__sports' is not an IPTC Media Topic code"));
  // "medtop:" after the label prefix is accepted.
  EXPECT_THAT(loaded.error().message, Not(HasSubstr("04000000")));

  // A code the taxonomy does not have is refused the same way.
  const std::string sport_path = directory.File("sport.bin");
  ASSERT_TRUE(TopicModel::Train(SyntheticExamples(), SmallOptions(directory), sport_path));
  const Taxonomy without_sport =
      *Taxonomy::Parse("medtop:04000000\t\t\teconomy\t\nmedtop:20000638\t\t\tdiplomacy\t\n", "t");
  const auto refused = TopicModel::Load(sport_path, without_sport);
  ASSERT_FALSE(refused.has_value());
  EXPECT_THAT(refused.error().message, HasSubstr("'__label__15000000'"));
}

TEST(FuseTopicTagsTest, CodeFoundByBothCombinesScoresAndKeepsEvidence) {
  const auto fused =
      FuseTopicTags({RuleTag("medtop:15000000", 0.5)}, {ModelTag("medtop:15000000", 0.8)}, 1.0);
  ASSERT_EQ(fused.size(), 1U);
  EXPECT_EQ(fused[0].method, kFusedMethod);
  EXPECT_DOUBLE_EQ(fused[0].score, 1.0 - 0.5 * 0.2);
  EXPECT_DOUBLE_EQ(fused[0].probability, 0.8);
  ASSERT_EQ(fused[0].evidence.size(), 1U);
  EXPECT_EQ(fused[0].evidence[0].rule_id, "rule-id");
}

TEST(FuseTopicTagsTest, SubtopicRuleTagIsKeptAndRaisesTheModelsTopLevelTag) {
  const auto fused =
      FuseTopicTags({RuleTag("medtop:20000638", 0.6, {"medtop:11000000"})},
                    {ModelTag("medtop:11000000", 0.5), ModelTag("medtop:04000000", 0.3)}, 1.0);
  ASSERT_EQ(fused.size(), 3U);
  EXPECT_EQ(fused[0].code, "medtop:11000000");
  EXPECT_DOUBLE_EQ(fused[0].score, 1.0 - 0.4 * 0.5);
  EXPECT_EQ(fused[0].method, kFusedMethod);
  EXPECT_THAT(fused[0].evidence, IsEmpty());
  EXPECT_EQ(fused[1].code, "medtop:20000638");
  EXPECT_DOUBLE_EQ(fused[1].score, 0.6);
  EXPECT_EQ(fused[1].method, "rule");
  EXPECT_EQ(fused[2].code, "medtop:04000000");
  EXPECT_DOUBLE_EQ(fused[2].score, 0.3);
  EXPECT_EQ(fused[2].method, "model");
}

TEST(FuseTopicTagsTest, ModelWeightScalesTheModelsContribution) {
  const auto half =
      FuseTopicTags({RuleTag("medtop:04000000", 0.5)}, {ModelTag("medtop:15000000", 0.9)}, 0.5);
  ASSERT_EQ(half.size(), 2U);
  EXPECT_EQ(half[0].code, "medtop:04000000");  // 0.5 beats 0.5 * 0.9
  EXPECT_DOUBLE_EQ(half[1].score, 0.45);
  EXPECT_DOUBLE_EQ(half[1].probability, 0.9);

  const auto ignored =
      FuseTopicTags({RuleTag("medtop:04000000", 0.5)}, {ModelTag("medtop:04000000", 0.9)}, 0.0);
  EXPECT_DOUBLE_EQ(ignored[0].score, 0.5);
}

TEST(FuseTopicTagsTest, EitherSideAloneComesThroughAndClassesFollowTheFusedScores) {
  EXPECT_THAT(FuseTopicTags({}, {}, 1.0), IsEmpty());
  const auto rules_only = FuseTopicTags({RuleTag("medtop:15000000", 0.7)}, {}, 1.0);
  ASSERT_EQ(rules_only.size(), 1U);
  EXPECT_EQ(rules_only[0].method, "rule");
  EXPECT_DOUBLE_EQ(rules_only[0].score, 0.7);
  const auto model_only = FuseTopicTags({}, {ModelTag("medtop:15000000", 0.7)}, 1.0);
  ASSERT_EQ(model_only.size(), 1U);
  EXPECT_EQ(model_only[0].method, "model");

  // Rules lean to business, the model is sure of politics: the fused politics tag wins.
  const auto fused = FuseTopicTags(
      {RuleTag("medtop:04000000", 0.53), RuleTag("medtop:20000638", 0.22, {"medtop:11000000"})},
      {ModelTag("medtop:11000000", 0.9), ModelTag("medtop:04000000", 0.08)}, 1.0);
  EXPECT_EQ(PredictClass(fused, {"medtop:04000000", "medtop:11000000", "medtop:15000000"}),
            "medtop:11000000");
}

}  // namespace
}  // namespace newswire::pipeline
