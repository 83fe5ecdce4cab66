// Stop strings on streamed text: matched across pieces, held back while they
// may still match, never output.
#include "lfm/StopStrings.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lfm {
namespace {

// Feeds `pieces`, returns (output, stopped).
std::pair<std::string, bool> run(std::vector<std::string> stops, std::vector<std::string> pieces) {
  StopStrings s(std::move(stops));
  std::string out;
  for (const std::string &p : pieces) out += s.push(p);
  out += s.flush();
  return {out, s.stopped()};
}

TEST(StopStrings, MatchAcrossPiecesAndNeverLeak) {
  EXPECT_EQ(run({"Amen."}, {"and the", " grace. A", "me", "n. Then more"}),
            std::make_pair(std::string("and the grace. "), true));
  EXPECT_EQ(run({"\n\n"}, {"verse one\n", "\nverse two"}),
            std::make_pair(std::string("verse one"), true));
}

TEST(StopStrings, HeldBackTextComesOutWhenItCannotMatch) {
  StopStrings s({"Amen."});
  EXPECT_EQ(s.push("so be it, Am"), "so be it, ");  // "Am" may begin "Amen."
  EXPECT_EQ(s.push("bush"), "Ambush");
  EXPECT_FALSE(s.stopped());
  EXPECT_EQ(s.push(" A"), " ");
  EXPECT_EQ(s.flush(), "A");  // the end: what was held goes out
}

TEST(StopStrings, EarliestMatchWinsThenLongest) {
  EXPECT_EQ(run({"cd", "b"}, {"abcd"}).first, "a");
  StopStrings s({"ab", "abc"});
  EXPECT_EQ(s.push("xabcy"), "x");
  EXPECT_EQ(s.matched(), "abc");
  EXPECT_EQ(s.push("more"), "");  // stopped: nothing else
}

TEST(StopStrings, NoneOrEmptyPassEverything) {
  EXPECT_EQ(run({}, {"a", "b"}), std::make_pair(std::string("ab"), false));
  EXPECT_EQ(run({""}, {"a", "b"}), std::make_pair(std::string("ab"), false));
}

TEST(StopStrings, MultiByteTextIsCutOnlyAtTheStop) {
  EXPECT_EQ(run({"—"}, {"In the beginning ", "\xE2\x80", "\x94 God"}).first, "In the beginning ");
}

}  // namespace
}  // namespace lfm
