#include "cli/output.h"

#include <gtest/gtest.h>

#include <sstream>

namespace coral::cli {
namespace {

Json Records() {
  return Json::array({{{"id", "a"}, {"n", 1}, {"note", "plain"}},
                      {{"id", "bbbb"}, {"n", 22}, {"note", "has, comma \"and quotes\""}}});
}

std::string Render(Format f, const Json& records) {
  std::ostringstream s;
  Output(f, s).List({"id", "n", "note"}, records, "nothing here");
  return s.str();
}

TEST(OutputTest, TableAlignsColumnsUnderUppercaseHeaders) {
  EXPECT_EQ(Render(Format::kTable, Records()),
            "ID     N    NOTE\n"
            "a      1    plain\n"
            "bbbb   22   has, comma \"and quotes\"\n");
  EXPECT_EQ(Render(Format::kTable, Json::array()), "nothing here\n");
}

TEST(OutputTest, CsvQuotesPerRfc4180) {
  EXPECT_EQ(Render(Format::kCsv, Records()),
            "id,n,note\r\n"
            "a,1,plain\r\n"
            "bbbb,22,\"has, comma \"\"and quotes\"\"\"\r\n");
  EXPECT_EQ(Render(Format::kCsv, Json::array()), "id,n,note\r\n");
}

TEST(OutputTest, JsonAndYamlCarryTheRecords) {
  EXPECT_EQ(Json::parse(Render(Format::kJson, Records())), Records());
  std::string yaml = Render(Format::kYaml, Records());
  EXPECT_NE(yaml.find("- id: a\n  n: 1\n  note: plain"), std::string::npos) << yaml;
  EXPECT_EQ(Render(Format::kJson, Json::array()), "[]\n");
}

TEST(OutputTest, ObjectForms) {
  Json rec = {{"id", "x"}, {"default", true}, {"nothing", nullptr}};
  std::ostringstream t, c, j;
  Output(Format::kTable, t).Object(rec);
  Output(Format::kCsv, c).Object(rec);
  Output(Format::kJson, j).Object(rec);
  EXPECT_EQ(t.str(), "id:        x\ndefault:   true\nnothing:\n");
  EXPECT_EQ(c.str(), "id,default,nothing\r\nx,true,\r\n");
  EXPECT_EQ(Json::parse(j.str()), rec);
}

TEST(OutputTest, ParseFormat) {
  EXPECT_EQ(*ParseFormat("yaml"), Format::kYaml);
  EXPECT_FALSE(ParseFormat("xml").ok());
}

}  // namespace
}  // namespace coral::cli
