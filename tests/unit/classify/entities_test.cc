// Unit tests of EntityRecognizer (daemon/pipeline/classify/entities.h) on small hand-made
// gazetteers built from strings, and on the shipped data.
#include "daemon/pipeline/classify/entities.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "tests/unit/classify/shipped_data.h"

namespace newswire::pipeline {
namespace {

using ::testing::HasSubstr;

constexpr char kIsoJson[] = R"({
  "3166-1": [
    {"alpha_2": "RU", "alpha_3": "RUS", "name": "Russian Federation", "numeric": "643"},
    {"alpha_2": "VE", "alpha_3": "VEN", "common_name": "Venezuela",
     "name": "Venezuela, Bolivarian Republic of", "numeric": "862",
     "official_name": "Bolivarian Republic of Venezuela"},
    {"alpha_2": "US", "alpha_3": "USA", "name": "United States", "numeric": "840",
     "official_name": "United States of America"},
    {"alpha_2": "TR", "alpha_3": "TUR", "name": "Türkiye", "numeric": "792"},
    {"alpha_2": "CN", "alpha_3": "CHN", "name": "China", "numeric": "156"}
  ]
})";

constexpr char kCountries[] = R"(countries:
  - country: RU
    name: Russia
    region: Eastern Europe
    aliases: [Russia]
    demonyms: [Russian, Russians]
    capitals: [Moscow]
  - country: VE
    region: South America
    demonyms: [Venezuelan]
    capitals: [Caracas]
  - country: US
    region: Northern America
    aliases: ["U.S.", {text: "US", case_sensitive: true}]
    demonyms: [American]
    capitals: [Washington]
)";

constexpr char kPeople[] = R"(entries:
  - id: nicolas-maduro
    type: person
    name: Nicolás Maduro
    country: VE
    role: President of Venezuela
  - id: vladimir-putin
    type: person
    name: Vladimir Putin
    aliases: [Putin]
    country: RU
    wikidata: Q7747
  - id: delcy-rodriguez
    type: person
    name: Delcy Rodríguez
    country: VE
  - id: jorge-rodriguez
    type: person
    name: Jorge Rodríguez
    country: VE
  - id: xi-jinping
    type: person
    name: Xi Jinping
    surname: Xi
    country: CN
)";

constexpr char kOrganizations[] = R"(entries:
  - id: government-russia
    type: organization
    name: Government of Russia
    aliases: [Kremlin]
    represents: RU
  - id: the-washington-post
    type: organization
    name: The Washington Post
    aliases: [Washington Post]
    wikidata: Q166032
)";

std::shared_ptr<const EntityRecognizer> BuildSmall() {
  auto built = EntityRecognizer::Build(
      {"iso.json", kIsoJson},
      {{"countries.yaml", kCountries}, {"people.yaml", kPeople}, {"orgs.yaml", kOrganizations}});
  EXPECT_TRUE(built.has_value()) << built.error().Describe();
  return built ? *built : nullptr;
}

Article Recognized(const EntityRecognizer& recognizer, std::string title, std::string body) {
  Article article;
  article.title = std::move(title);
  article.body = std::move(body);
  auto result = recognizer.Recognize(article);
  EXPECT_TRUE(result.has_value()) << result.error().Describe();
  return article;
}

const Entity* FindEntity(const Article& article, const std::string& type, const std::string& name) {
  const auto found = std::find_if(
      article.entities.begin(), article.entities.end(),
      [&](const Entity& entity) { return entity.type == type && entity.name == name; });
  return found == article.entities.end() ? nullptr : &*found;
}

// Every mention is the text at its offsets in its field.
void ExpectMentionsPointAtText(const Article& article) {
  for (const Entity& entity : article.entities) {
    EXPECT_GE(entity.mention_count, entity.mentions.size()) << entity.name;
    EXPECT_LE(entity.mentions.size(), kMaxMentionsPerEntity);
    for (const Evidence& mention : entity.mentions) {
      const std::string& field = mention.field == "title" ? article.title : article.body;
      ASSERT_LE(mention.end_offset, field.size());
      EXPECT_EQ(field.substr(mention.begin_offset, mention.end_offset - mention.begin_offset),
                mention.text)
          << entity.name;
      EXPECT_FALSE(mention.rule_id.empty());
    }
  }
}

TEST(EntitiesTest, CountriesFromIsoNamesAndGazetteerAliases) {
  const auto recognizer = BuildSmall();
  ASSERT_NE(recognizer, nullptr);
  const Article article =
      Recognized(*recognizer, "Russia and Venezuela",
                 "The Russian Federation sent envoys to Caracas. Venezuelan officials met them.");
  const Entity* russia = FindEntity(article, "country", "Russia");
  ASSERT_NE(russia, nullptr);
  EXPECT_EQ(russia->identifier, "RU");
  EXPECT_EQ(russia->mention_count, 2U);  // "Russia" (title), "Russian Federation"
  ASSERT_EQ(russia->mentions.size(), 2U);
  EXPECT_EQ(russia->mentions[0].field, "title");
  EXPECT_EQ(russia->mentions[0].rule_id, "countries.ru");
  EXPECT_EQ(russia->mentions[1].text, "Russian Federation");  // longer than "Russian"
  EXPECT_EQ(russia->mentions[1].rule_id, "iso-3166");
  const Entity* venezuela = FindEntity(article, "country", "Venezuela");  // ISO common_name
  ASSERT_NE(venezuela, nullptr);
  EXPECT_EQ(venezuela->identifier, "VE");
  EXPECT_EQ(venezuela->mention_count, 3U);  // title, Caracas, Venezuelan
  ExpectMentionsPointAtText(article);
}

TEST(EntitiesTest, CaseSensitiveAliasMatchesOnlyAsWritten) {
  const auto recognizer = BuildSmall();
  ASSERT_NE(recognizer, nullptr);
  const Article with_pronoun = Recognized(*recognizer, "", "Tell us what you think.");
  EXPECT_EQ(FindEntity(with_pronoun, "country", "United States"), nullptr);
  const Article with_country = Recognized(*recognizer, "", "The US and the U.S. are the same.");
  const Entity* united_states = FindEntity(with_country, "country", "United States");
  ASSERT_NE(united_states, nullptr);
  EXPECT_EQ(united_states->mention_count, 2U);
  EXPECT_EQ(united_states->mentions[0].text, "US");
  EXPECT_EQ(united_states->mentions[1].text, "U.S.");
}

TEST(EntitiesTest, CapitalizedNamesDoNotMatchLowercaseWords) {
  const auto recognizer = BuildSmall();
  ASSERT_NE(recognizer, nullptr);
  const Article article =
      Recognized(*recognizer, "", "They served turkey on fine china. Then Türkiye and China met.");
  const Entity* china = FindEntity(article, "country", "China");
  ASSERT_NE(china, nullptr);
  EXPECT_EQ(china->mention_count, 1U);
  EXPECT_EQ(china->mentions[0].text, "China");
  const Entity* turkey = FindEntity(article, "country", "Türkiye");
  ASSERT_NE(turkey, nullptr);
  EXPECT_EQ(turkey->mention_count, 1U);
}

TEST(EntitiesTest, LongestMatchWinsOverlaps) {
  const auto recognizer = BuildSmall();
  ASSERT_NE(recognizer, nullptr);
  const Article article = Recognized(
      *recognizer, "", "The Washington Post reported it; Latin American leaders agreed.");
  const Entity* post = FindEntity(article, "organization", "The Washington Post");
  ASSERT_NE(post, nullptr);
  EXPECT_EQ(post->identifier, "Q166032");
  // Neither "Washington" inside the newspaper's name nor "American" in "Latin American".
  EXPECT_EQ(FindEntity(article, "country", "United States"), nullptr);
  EXPECT_TRUE(article.primary_country.empty());
  EXPECT_TRUE(article.primary_region.empty());
}

TEST(EntitiesTest, AccentInsensitivePeopleShareOneIdentifier) {
  const auto recognizer = BuildSmall();
  ASSERT_NE(recognizer, nullptr);
  const Article accented = Recognized(*recognizer, "", "Nicolás Maduro spoke.");
  const Article plain = Recognized(*recognizer, "", "Nicolas Maduro spoke.");
  const Entity* first = FindEntity(accented, "person", "Nicolás Maduro");
  const Entity* second = FindEntity(plain, "person", "Nicolás Maduro");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(first->identifier, "gazetteer:nicolas-maduro");
  EXPECT_EQ(first->identifier, second->identifier);
  EXPECT_EQ(second->mentions[0].text, "Nicolas Maduro");
}

TEST(EntitiesTest, SurnameCountsOnlyOnceTheFullNameAppears) {
  const auto recognizer = BuildSmall();
  ASSERT_NE(recognizer, nullptr);
  const Article alone = Recognized(*recognizer, "", "Maduro spoke. Maduro left.");
  EXPECT_EQ(FindEntity(alone, "person", "Nicolás Maduro"), nullptr);

  // The headline's surname counts too once the body names him in full.
  const Article named = Recognized(*recognizer, "Maduro defiant",
                                   "Nicolás Maduro spoke. Later, Maduro’s aides left.");
  const Entity* maduro = FindEntity(named, "person", "Nicolás Maduro");
  ASSERT_NE(maduro, nullptr);
  EXPECT_EQ(maduro->mention_count, 3U);
  EXPECT_EQ(maduro->mentions[0].field, "title");
  EXPECT_EQ(maduro->mentions[2].text, "Maduro");
  EXPECT_EQ(maduro->mentions[2].rule_id, "nicolas-maduro");
  ExpectMentionsPointAtText(named);
}

TEST(EntitiesTest, ExplicitSurnameAndAmbiguousSurnames) {
  const auto recognizer = BuildSmall();
  ASSERT_NE(recognizer, nullptr);
  // "Xi" is Xi Jinping's declared surname (not the last word "Jinping").
  const Article xi = Recognized(*recognizer, "", "Xi Jinping arrived. Xi spoke first.");
  const Entity* person = FindEntity(xi, "person", "Xi Jinping");
  ASSERT_NE(person, nullptr);
  EXPECT_EQ(person->mention_count, 2U);
  // "Rodríguez" after both Rodríguezes are named belongs to neither.
  const Article both = Recognized(
      *recognizer, "", "Delcy Rodríguez and Jorge Rodríguez met. Rodríguez said nothing.");
  ASSERT_NE(FindEntity(both, "person", "Delcy Rodríguez"), nullptr);
  EXPECT_EQ(FindEntity(both, "person", "Delcy Rodríguez")->mention_count, 1U);
  EXPECT_EQ(FindEntity(both, "person", "Jorge Rodríguez")->mention_count, 1U);
}

TEST(EntitiesTest, RepresentedGovernmentCountsForItsCountry) {
  const auto recognizer = BuildSmall();
  ASSERT_NE(recognizer, nullptr);
  const Article article = Recognized(*recognizer, "", "The Kremlin said nothing.");
  const Entity* government = FindEntity(article, "organization", "Government of Russia");
  ASSERT_NE(government, nullptr);
  EXPECT_EQ(government->identifier, "gazetteer:government-russia");
  const Entity* russia = FindEntity(article, "country", "Russia");
  ASSERT_NE(russia, nullptr);
  EXPECT_EQ(russia->mentions[0].text, "Kremlin");
  EXPECT_EQ(russia->mentions[0].rule_id, "government-russia");
  EXPECT_EQ(article.primary_country, "RU");
  EXPECT_EQ(article.primary_region, "Eastern Europe");
}

TEST(EntitiesTest, SalienceRewardsTitleLeadAndFrequency) {
  const auto recognizer = BuildSmall();
  ASSERT_NE(recognizer, nullptr);
  const Article article = Recognized(*recognizer, "Venezuela under pressure",
                                     "Caracas waits. Venezuela and Venezuela again.\n\n"
                                     "Later the Russian envoy came.");
  const Entity* venezuela = FindEntity(article, "country", "Venezuela");
  const Entity* russia = FindEntity(article, "country", "Russia");
  ASSERT_NE(venezuela, nullptr);
  ASSERT_NE(russia, nullptr);
  // Venezuela: title, lead, 4 of 4 mentions. Russia: body only, 1 of 4.
  EXPECT_NEAR(venezuela->salience, kTitleSalience + kLeadSalience + kFrequencySalience, 1e-9);
  EXPECT_NEAR(russia->salience, kFrequencySalience * 0.25, 1e-9);
  EXPECT_DOUBLE_EQ(venezuela->score, venezuela->salience);
  EXPECT_EQ(venezuela->first_offset, 0U);
  EXPECT_EQ(russia->first_offset, article.body.find("Russian"));
  EXPECT_EQ(article.entities.front().name, "Venezuela");  // most salient first
  EXPECT_EQ(article.primary_country, "VE");
  EXPECT_EQ(article.primary_region, "South America");
}

TEST(EntitiesTest, MentionsAreCountedBeyondTheEvidenceKept) {
  const auto recognizer = BuildSmall();
  ASSERT_NE(recognizer, nullptr);
  std::string body;
  for (int index = 0; index < 8; ++index) body += "Moscow said so. ";
  const Article article = Recognized(*recognizer, "", body);
  const Entity* russia = FindEntity(article, "country", "Russia");
  ASSERT_NE(russia, nullptr);
  EXPECT_EQ(russia->mention_count, 8U);
  EXPECT_EQ(russia->mentions.size(), kMaxMentionsPerEntity);
}

TEST(EntitiesTest, RoleIntroducedPeople) {
  const auto recognizer = BuildSmall();
  ASSERT_NE(recognizer, nullptr);
  const Article article = Recognized(
      *recognizer, "",
      "According to expert Vladimir Rouvinski from Icesi University, it is over. Russian "
      "President Vladimir Putin agreed. Rouvinski's view is shared by analyst María de la Cruz "
      "Pérez. The president said nothing.");
  const Entity* rouvinski = FindEntity(article, "person", "Vladimir Rouvinski");
  ASSERT_NE(rouvinski, nullptr);
  EXPECT_TRUE(rouvinski->identifier.empty());
  EXPECT_EQ(rouvinski->mention_count, 2U);  // the introduction and the later surname
  EXPECT_EQ(rouvinski->mentions[0].rule_id, "role-introduced");
  EXPECT_EQ(rouvinski->mentions[0].text, "Vladimir Rouvinski");
  EXPECT_EQ(rouvinski->mentions[1].text, "Rouvinski");
  EXPECT_NEAR(rouvinski->score, rouvinski->salience * kRoleIntroducedConfidence, 1e-9);
  // Putin is in the gazetteer: one entity, with the gazetteer's identifier.
  const auto putins = std::count_if(
      article.entities.begin(), article.entities.end(),
      [](const Entity& entity) { return entity.name.find("Putin") != std::string::npos; });
  EXPECT_EQ(putins, 1);
  ASSERT_NE(FindEntity(article, "person", "Vladimir Putin"), nullptr);
  EXPECT_EQ(FindEntity(article, "person", "Vladimir Putin")->identifier, "Q7747");
  // Particles join a name; at most three capitalized words are read.
  EXPECT_NE(FindEntity(article, "person", "María de la Cruz Pérez"), nullptr);
  ExpectMentionsPointAtText(article);
}

TEST(EntitiesTest, RoleWordWithoutANameYieldsNobody) {
  const auto recognizer = BuildSmall();
  ASSERT_NE(recognizer, nullptr);
  const Article article = Recognized(
      *recognizer, "", "The president spoke. The minister of The Interior left. Experts Agree.");
  EXPECT_TRUE(article.entities.empty());
}

TEST(EntitiesTest, BuildReportsEveryProblemWithLocation) {
  constexpr char kBad[] = R"(entries:
  - id: someone
    type: robot
    name: Someone
  - id: someone
    type: person
    name: Someone Else
    country: XX
  - id: other
    type: person
    name: Other Person
    colour: blue
    aliases: ["re:o+"]
countries:
  - country: VE
    region: Atlantis
)";
  auto built = EntityRecognizer::Build({"iso.json", kIsoJson}, {{"bad.yaml", kBad}});
  ASSERT_FALSE(built.has_value());
  EXPECT_EQ(built.error().stage, Stage::kConfig);
  const std::string& message = built.error().message;
  EXPECT_THAT(message, HasSubstr("bad.yaml:3:11: 'type' must be person or organization"));
  EXPECT_THAT(message, HasSubstr("bad.yaml:5:5: duplicate id 'someone' (first at bad.yaml:2:5)"));
  EXPECT_THAT(message, HasSubstr("bad.yaml:12:5: unknown key 'colour'"));
  EXPECT_THAT(message, HasSubstr("bad.yaml:13:15: 'aliases': 're:o+' is a rule pattern"));
  EXPECT_THAT(message, HasSubstr("bad.yaml:16:13: unknown region 'Atlantis'"));
}

TEST(EntitiesTest, BuildReportsUnknownCountryCodes) {
  constexpr char kBad[] = R"(entries:
  - id: someone
    type: person
    name: Someone Else
    country: XX
)";
  auto built = EntityRecognizer::Build({"iso.json", kIsoJson}, {{"bad.yaml", kBad}});
  ASSERT_FALSE(built.has_value());
  EXPECT_THAT(built.error().message,
              HasSubstr("bad.yaml:5:14: 'country' is 'XX', not an ISO 3166-1 alpha-2 code"));
}

TEST(EntitiesTest, BuildReportsJsonAndYamlSyntax) {
  auto built = EntityRecognizer::Build({"iso.json", "{\n  \"3166-1\": [,]\n}"},
                                       {{"broken.yaml", "entries: [\n"}});
  ASSERT_FALSE(built.has_value());
  EXPECT_THAT(built.error().message, HasSubstr("iso.json:2:14: JSON syntax"));
  EXPECT_THAT(built.error().message, HasSubstr("broken.yaml:"));
  EXPECT_THAT(built.error().message, HasSubstr("YAML syntax"));
}

TEST(EntitiesTest, ShippedDataBuildsAndCoversTheStory) {
  const EntityRecognizer* recognizer = test_helpers::ShippedClassifier().entity_recognizer();
  ASSERT_NE(recognizer, nullptr);
  EXPECT_GT(recognizer->entity_count(), 249U + 100U);
  const Article article = Recognized(
      *recognizer, "Kremlin weighs Caracas plea",
      "Russian Foreign Minister Sergei Lavrov met Chinese President Xi Jinping and "
      "Ukraine's Volodymyr Zelensky was not there. Tehran and Damascus watched; the UK and the "
      "UAE said nothing, and nor did we. Rostec and Rosneft signed. U.S. Southern Command "
      "watched from Washington. Tell us more.");
  for (const auto& [type, name] :
       std::vector<std::pair<std::string, std::string>>{{"country", "Russia"},
                                                        {"country", "Venezuela"},
                                                        {"country", "China"},
                                                        {"country", "Ukraine"},
                                                        {"country", "Iran"},
                                                        {"country", "Syria"},
                                                        {"country", "United Kingdom"},
                                                        {"country", "United Arab Emirates"},
                                                        {"country", "United States"},
                                                        {"person", "Sergei Lavrov"},
                                                        {"person", "Xi Jinping"},
                                                        {"person", "Volodymyr Zelensky"},
                                                        {"organization", "Government of Russia"},
                                                        {"organization", "Rostec"},
                                                        {"organization", "Rosneft"},
                                                        {"organization", "US Southern Command"}}) {
    EXPECT_NE(FindEntity(article, type, name), nullptr) << type << " " << name;
  }
  // "U.S." inside "U.S. Southern Command" is the command's; "us" is a pronoun: Washington is the
  // only mention of the United States.
  EXPECT_EQ(FindEntity(article, "country", "United States")->mention_count, 1U);
  EXPECT_EQ(article.primary_country, "RU");
  EXPECT_EQ(article.primary_region, "Eastern Europe");
  ExpectMentionsPointAtText(article);
}

}  // namespace
}  // namespace newswire::pipeline
