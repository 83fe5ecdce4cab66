// What lfm-perplexity measures, as llama.cpp's llama-perplexity reports it:
// the perplexity of a model on a token stream, and, against a reference
// model's logits at the same positions, the KL divergence KL(ref || model)
// per token (its mean, percentiles and maximum) and how often the two agree
// on the most likely token.
#ifndef LFM_TOOLS_PERPLEXITY_SCORING_H
#define LFM_TOOLS_PERPLEXITY_SCORING_H

#include <cstdint>
#include <span>
#include <vector>

namespace lfm::tools {

// log softmax(logits)[target], in double.
double logProbability(std::span<const float> logits, int32_t target);

// KL(p || q) of the softmaxes of two logit rows of one vocabulary, in nats.
double klDivergence(std::span<const float> p_logits, std::span<const float> q_logits);

struct ScoreSummary {
  int64_t tokens = 0;
  double mean_nll = 0;        // nats per token
  double perplexity = 0;      // exp(mean_nll)
  double perplexity_error = 0;  // one standard error of the perplexity
  // With a reference (else zero):
  bool has_reference = false;
  double reference_perplexity = 0;
  double ln_ratio = 0;        // ln(PPL / PPL_ref): the mean of nll - nll_ref
  double mean_kl = 0, median_kl = 0, p99_kl = 0, max_kl = 0;
  double same_top = 0;        // fraction of positions with the same argmax
};

// Accumulates scored positions; with a reference, every add() gives one.
class Scorer {
 public:
  void add(std::span<const float> logits, int32_t target);
  void add(std::span<const float> logits, std::span<const float> reference, int32_t target);
  int64_t tokens() const { return static_cast<int64_t>(nll_.size()); }
  ScoreSummary summary() const;

 private:
  std::vector<double> nll_, ref_nll_, kl_;
  int64_t same_top_ = 0;
};

}  // namespace lfm::tools

#endif  // LFM_TOOLS_PERPLEXITY_SCORING_H
