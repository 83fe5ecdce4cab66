#include "Scoring.h"

#include <algorithm>
#include <cmath>

namespace lfm::tools {
namespace {

// max and log(sum(exp(x - max))) of a row, in double.
void logSumExp(std::span<const float> row, double &max, double &log_sum) {
  max = -INFINITY;
  for (float v : row) max = std::max(max, static_cast<double>(v));
  double sum = 0;
  for (float v : row) sum += std::exp(static_cast<double>(v) - max);
  log_sum = std::log(sum);
}

size_t argmax(std::span<const float> row) {
  return static_cast<size_t>(std::max_element(row.begin(), row.end()) - row.begin());
}

// The q-th quantile (q in [0, 1]) of `values`, nearest rank on a copy.
double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(q * (values.size() - 1) + 0.5));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(at), values.end());
  return values[at];
}

double mean(const std::vector<double> &values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0 : sum / static_cast<double>(values.size());
}

}  // namespace

double logProbability(std::span<const float> logits, int32_t target) {
  double max, log_sum;
  logSumExp(logits, max, log_sum);
  return static_cast<double>(logits[static_cast<size_t>(target)]) - max - log_sum;
}

double klDivergence(std::span<const float> p_logits, std::span<const float> q_logits) {
  double p_max, p_log_sum, q_max, q_log_sum;
  logSumExp(p_logits, p_max, p_log_sum);
  logSumExp(q_logits, q_max, q_log_sum);
  double kl = 0;
  for (size_t i = 0; i < p_logits.size(); ++i) {
    const double log_p = static_cast<double>(p_logits[i]) - p_max - p_log_sum;
    const double log_q = static_cast<double>(q_logits[i]) - q_max - q_log_sum;
    kl += std::exp(log_p) * (log_p - log_q);
  }
  return std::max(kl, 0.0);  // rounding can leave -1e-17 for equal rows
}

void Scorer::add(std::span<const float> logits, int32_t target) {
  nll_.push_back(-logProbability(logits, target));
}

void Scorer::add(std::span<const float> logits, std::span<const float> reference, int32_t target) {
  add(logits, target);
  ref_nll_.push_back(-logProbability(reference, target));
  kl_.push_back(klDivergence(reference, logits));
  if (argmax(logits) == argmax(reference)) ++same_top_;
}

ScoreSummary Scorer::summary() const {
  ScoreSummary s;
  s.tokens = tokens();
  if (nll_.empty()) return s;
  s.mean_nll = mean(nll_);
  s.perplexity = std::exp(s.mean_nll);
  double var = 0;
  for (double v : nll_) var += (v - s.mean_nll) * (v - s.mean_nll);
  if (nll_.size() > 1) var /= static_cast<double>(nll_.size() - 1);
  // exp(mean) +- exp(mean) * stderr(mean), as llama-perplexity prints it.
  s.perplexity_error = s.perplexity * std::sqrt(var / static_cast<double>(nll_.size()));
  if (ref_nll_.empty()) return s;
  s.has_reference = true;
  s.reference_perplexity = std::exp(mean(ref_nll_));
  s.ln_ratio = s.mean_nll - mean(ref_nll_);
  s.mean_kl = mean(kl_);
  s.median_kl = quantile(kl_, 0.5);
  s.p99_kl = quantile(kl_, 0.99);
  s.max_kl = *std::max_element(kl_.begin(), kl_.end());
  s.same_top = static_cast<double>(same_top_) / static_cast<double>(kl_.size());
  return s;
}

}  // namespace lfm::tools
