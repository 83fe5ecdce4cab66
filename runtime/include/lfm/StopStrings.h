// Stop strings matched on generated text, across token boundaries: text
// that could still be the start of a stop string is held back, and a stop
// string never reaches the output (nor anything after it).
//
//   StopStrings stops({"\n\n", "Amen."});
//   out += stops.push(piece);   // for each decoded piece
//   if (stops.stopped()) ...    // generation ends here
//   out += stops.flush();       // at the end: what was held back
#ifndef LFM_STOPSTRINGS_H
#define LFM_STOPSTRINGS_H

#include <string>
#include <string_view>
#include <vector>

namespace lfm {

class StopStrings {
 public:
  // Empty strings are ignored.
  explicit StopStrings(std::vector<std::string> stops);

  // The text that is now certain to be output. After a stop string
  // appears, the text before it and nothing more; then stopped() is true
  // and further pushes return nothing.
  std::string push(std::string_view text);
  // What is still held back (nothing once stopped).
  std::string flush();

  bool stopped() const { return stopped_; }
  // The stop string that ended the text (empty while not stopped).
  const std::string &matched() const { return matched_; }

 private:
  std::vector<std::string> stops_;
  std::string pending_;  // text that may begin a stop string
  bool stopped_ = false;
  std::string matched_;
};

}  // namespace lfm

#endif  // LFM_STOPSTRINGS_H
