// GEMM throughput of the cpu device's linear tiles beside the libraries the
// optimized linear could have been built on (oneDNN's matmul and OpenBLAS's
// sgemm / sbgemm, when the build found them), on LFM2-350M's linear shapes,
// for scripts/gemm-bench:
//
//   gemm_bench [--threads T] [--rows 8,128,512] [--dtypes f32,bf16]
//              [--shapes NAME=NxKxCOUNT,...] [--seconds S]
//
// y[m][n] = sum_k x[m][k] * W[n][k], W of the dtype (bf16: every engine gets
// the same bf16 values), x float32. lfm runs the tile its cpu device picks on
// this CPU (DotKernels.h: panel layouts repacked once, as at plan load; x
// converted as FastLinear does), split over a ThreadPool by FastLinear's
// column blocks. oneDNN gets its preferred weight layout (reordered once),
// OpenBLAS the row-major weights. Weights rotate over copies of at least
// 128 MB in all, so a call reads them from memory as a model's step does.
//
// Prints G multiply-adds/s per shape and rows (best of the runs within S
// seconds, at least 3), the shapes' total weighted by their counts (by
// default how often a 350M token runs each), and per engine whether row
// 0's bits are the same alone (1 row) as in a step of each row count
// (batch invariance, which the server relies on). Exits non-zero if any
// engine's result is off a double reference by more than its x's rounding
// allows, or if lfm's rows are not batch invariant.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cpu/DotKernels.h"
#include "cpu/Isa.h"
#include "cpu/ThreadPool.h"
#include "cpu/WeightPanels.h"

#ifdef LFM_GEMM_BENCH_DNNL
#include <dnnl.hpp>
#endif
#ifdef LFM_GEMM_BENCH_OPENBLAS
#include <cblas.h>
#endif

namespace {

using lfm::DType;
namespace cpu = lfm::cpu;

struct Shape {
  std::string name;
  int64_t n, k, count;  // count: times a 350M token runs it
};

// LFM2-350M (hidden 1024, ffn 4608 from block_ff_dim 6656 auto-adjusted,
// 16 q / 8 kv heads of 64; 10 conv and 6 attention layers). The lm_head
// (65536 x 1024) runs once per step on the last row only in prefill.
std::vector<Shape> defaultShapes() {
  return {{"conv.in_proj", 3072, 1024, 10}, {"conv.out_proj", 1024, 1024, 10},
          {"attn.qkv", 2048, 1024, 6},      {"attn.out_proj", 1024, 1024, 6},
          {"ffn.w1w3", 9216, 1024, 16},     {"ffn.w2", 1024, 4608, 16}};
}

uint16_t toBf16(float f) {  // round to nearest even (finite values)
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return static_cast<uint16_t>((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}
float fromBf16(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// One engine set up for a shape and dtype: run(x, m, y) computes m rows.
struct Engine {
  std::string name;
  bool x_bf16 = false;  // rounds x to bf16 (a looser tolerance)
  std::function<void(const float *x, int64_t m, float *y)> run;
};

// How many copies of `bytes` of weights make 128 MB (1 to 64).
int64_t copiesFor(int64_t bytes) {
  return std::clamp<int64_t>((int64_t{128} << 20) / std::max<int64_t>(bytes, 1) + 1, 1, 64);
}

Engine lfmEngine(const std::vector<float> &w, const Shape &s, DType dtype, cpu::ThreadPool &pool) {
  const cpu::Isa isa = cpu::activeIsa();
  const cpu::PanelLayout layout = cpu::panelLayoutFor(isa, dtype);
  const cpu::DotKernel kernel = layout != cpu::PanelLayout::kRowMajor
                                    ? cpu::panelKernel(isa, layout)
                                    : cpu::selectDotKernel(isa, dtype);
  std::vector<uint8_t> rowmajor(s.n * s.k * (dtype == DType::kBF16 ? 2 : 4));
  for (int64_t i = 0; i < s.n * s.k; ++i) {
    if (dtype == DType::kBF16) {
      const uint16_t h = toBf16(w[i]);
      std::memcpy(rowmajor.data() + 2 * i, &h, 2);
    } else {
      std::memcpy(rowmajor.data() + 4 * i, &w[i], 4);
    }
  }
  auto packed = std::make_shared<std::vector<std::vector<uint8_t>>>();
  const std::vector<uint8_t> one = layout != cpu::PanelLayout::kRowMajor
                                       ? cpu::packPanels(layout, rowmajor, s.n, s.k)
                                       : rowmajor;
  for (int64_t c = copiesFor(static_cast<int64_t>(one.size())); c > 0; --c) packed->push_back(one);
  auto turn = std::make_shared<size_t>(0);
  Engine e{std::string("lfm ") + cpu::isaName(isa), kernel.x_format != cpu::XFormat::kF32, {}};
  e.run = [=, &pool](const float *x, int64_t m, float *y) {
    const uint8_t *wp = (*packed)[(*turn)++ % packed->size()].data();
    std::vector<uint16_t> halves;
    const void *xp = x;
    if (kernel.x_format == cpu::XFormat::kBF16) {
      halves.resize(m * s.k);
      for (int64_t i = 0; i < m * s.k; ++i) halves[i] = toBf16(x[i]);
      xp = halves.data();
    } else if (kernel.x_format == cpu::XFormat::kBF16Tiles) {
      halves.resize(cpu::xTileHalves(m, s.k));
      for (int64_t r = 0; r < m; ++r) cpu::packXRowTiles(x + r * s.k, r, s.k, halves.data());
      xp = halves.data();
    }
    const int64_t block = cpu::linearColumnBlock(s.n, pool.threads());
    pool.parallelFor((s.n + block - 1) / block, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> out(m * block);
      for (int64_t b = begin; b < end; ++b) {
        const int64_t c0 = b * block, c1 = std::min(s.n, c0 + block), cn = c1 - c0;
        kernel.tile(xp, s.k, m, wp, s.k, s.k, c0, c1, out.data(), cn);
        for (int64_t r = 0; r < m; ++r) std::memcpy(y + r * s.n + c0, &out[r * cn], cn * 4);
      }
    });
  };
  return e;
}

#ifdef LFM_GEMM_BENCH_DNNL
// oneDNN's matmul for m rows: a primitive per row count, made on first use,
// with the weights in the layout it prefers (format "any"), reordered once
// per copy and shared by the row counts that prefer the same layout. False
// where this CPU has no implementation for the dtype.
bool dnnlEngine(const std::vector<float> &w, const Shape &s, DType dtype, Engine *e) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  auto eng = std::make_shared<dnnl::engine>(dnnl::engine::kind::cpu, 0);
  auto stream = std::make_shared<dnnl::stream>(*eng);
  const dt wdt = dtype == DType::kBF16 ? dt::bf16 : dt::f32;
  const auto pdFor = [=](int64_t m) {
    dnnl::memory::desc src({m, s.k}, wdt, tag::ab), wei({s.k, s.n}, wdt, tag::any),
        dst({m, s.n}, dt::f32, tag::ab);
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, wei, dst), *eng);
  };
  dnnl::matmul::primitive_desc pd1;
  try {
    pd1 = pdFor(1);
  } catch (const dnnl::error &) {
    return false;
  }
  // W [n][k] row-major is {k, n} in "ba".
  auto user = std::make_shared<std::vector<uint16_t>>();
  void *user_ptr = const_cast<float *>(w.data());
  if (dtype == DType::kBF16) {
    user->resize(w.size());
    for (size_t i = 0; i < w.size(); ++i) (*user)[i] = toBf16(w[i]);
    user_ptr = user->data();
  }
  auto wu = std::make_shared<dnnl::memory>(
      dnnl::memory::desc({s.k, s.n}, wdt, tag::ba), *eng, user_ptr);
  const int64_t copies = copiesFor(s.n * s.k * (dtype == DType::kBF16 ? 2 : 4));
  struct Prim {
    int64_t m;
    dnnl::matmul prim;
    std::shared_ptr<std::vector<dnnl::memory>> weights;
  };
  auto prims = std::make_shared<std::vector<Prim>>();
  auto turn = std::make_shared<size_t>(0);
  e->name = "oneDNN " + std::string(pd1.impl_info_str());
  e->x_bf16 = dtype == DType::kBF16;
  // `user` stays alive with the engine: wu points into it, and the weights
  // are reordered from it at the first run of each row count.
  e->run = [=, user = user](const float *x, int64_t m, float *y) {
    auto it = std::find_if(prims->begin(), prims->end(), [&](const Prim &p) { return p.m == m; });
    if (it == prims->end()) {
      const dnnl::matmul::primitive_desc pd = pdFor(m);
      std::shared_ptr<std::vector<dnnl::memory>> weights;
      for (const Prim &p : *prims) {
        if (p.weights->front().get_desc() == pd.weights_desc()) weights = p.weights;
      }
      if (weights == nullptr) {
        weights = std::make_shared<std::vector<dnnl::memory>>();
        for (int64_t c = 0; c < copies; ++c) {
          dnnl::memory wr(pd.weights_desc(), *eng);
          dnnl::reorder(*wu, wr).execute(*stream, *wu, wr);
          weights->push_back(wr);
        }
        stream->wait();
      }
      prims->push_back({m, dnnl::matmul(pd), weights});
      it = prims->end() - 1;
    }
    std::vector<uint16_t> xb;
    void *xp = const_cast<float *>(x);
    if (wdt == dt::bf16) {
      xb.resize(m * s.k);
      for (int64_t i = 0; i < m * s.k; ++i) xb[i] = toBf16(x[i]);
      xp = xb.data();
    }
    dnnl::memory src({{m, s.k}, wdt, tag::ab}, *eng, xp), dst({{m, s.n}, dt::f32, tag::ab}, *eng, y);
    it->prim.execute(*stream, {{DNNL_ARG_SRC, src},
                               {DNNL_ARG_WEIGHTS, (*it->weights)[(*turn)++ % it->weights->size()]},
                               {DNNL_ARG_DST, dst}});
    stream->wait();
  };
  return true;
}
#endif

#ifdef LFM_GEMM_BENCH_OPENBLAS
// OpenBLAS's sgemm, or sbgemm for bf16 where it was built with bfloat16
// (LFM_GEMM_BENCH_SBGEMM); false where it has no GEMM for the dtype.
bool openblasEngine(const std::vector<float> &w, const Shape &s, DType dtype, int threads,
                    Engine *out) {
  openblas_set_num_threads(threads);
  const int64_t copies = copiesFor(s.n * s.k * (dtype == DType::kBF16 ? 2 : 4));
  Engine e{dtype == DType::kBF16 ? "OpenBLAS sbgemm" : "OpenBLAS sgemm", dtype == DType::kBF16, {}};
  auto turn = std::make_shared<size_t>(0);
  if (dtype == DType::kBF16) {
#ifndef LFM_GEMM_BENCH_SBGEMM
    return false;
#else
    auto wb = std::make_shared<std::vector<std::vector<bfloat16>>>(copies);
    for (auto &c : *wb) {
      c.resize(w.size());
      for (size_t i = 0; i < w.size(); ++i) c[i] = toBf16(w[i]);
    }
    e.run = [=](const float *x, int64_t m, float *y) {
      std::vector<bfloat16> xb(m * s.k);
      for (int64_t i = 0; i < m * s.k; ++i) xb[i] = toBf16(x[i]);
      cblas_sbgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, s.n, s.k, 1.0f, xb.data(), s.k,
                   (*wb)[(*turn)++ % wb->size()].data(), s.k, 0.0f, y, s.n);
    };
#endif
  } else {
    auto wf = std::make_shared<std::vector<std::vector<float>>>(copies, w);
    e.run = [=](const float *x, int64_t m, float *y) {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, s.n, s.k, 1.0f, x, s.k,
                  (*wf)[(*turn)++ % wf->size()].data(), s.k, 0.0f, y, s.n);
    };
  }
  *out = std::move(e);
  return true;
}
#endif

std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t end = std::min(s.find(sep, start), s.size());
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

int usage(const char *why) {
  std::fprintf(stderr,
               "gemm_bench: %s\nusage: gemm_bench [--threads T] [--rows 8,128,512] "
               "[--dtypes f32,bf16] [--shapes NAME=NxKxCOUNT,...] [--seconds S]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char **argv) {
  int threads = 2;
  std::vector<int64_t> rows = {8, 128, 512};
  std::vector<DType> dtypes = {DType::kF32, DType::kBF16};
  std::vector<Shape> shapes = defaultShapes();
  double seconds = 0.5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      usage("the cpu device's GEMM tiles beside oneDNN and OpenBLAS (when built with them)");
      return 0;
    }
    if (i + 1 >= argc) return usage(("no value for " + a).c_str());
    const std::string v = argv[++i];
    if (a == "--threads") {
      threads = std::atoi(v.c_str());
    } else if (a == "--seconds") {
      seconds = std::atof(v.c_str());
    } else if (a == "--rows") {
      rows.clear();
      for (const std::string &r : split(v, ',')) rows.push_back(std::atoll(r.c_str()));
    } else if (a == "--dtypes") {
      dtypes.clear();
      for (const std::string &d : split(v, ',')) {
        if (d != "f32" && d != "bf16") return usage(("unknown dtype " + d).c_str());
        dtypes.push_back(d == "f32" ? DType::kF32 : DType::kBF16);
      }
    } else if (a == "--shapes") {
      shapes.clear();
      for (const std::string &spec : split(v, ',')) {
        const size_t eq = spec.find('=');
        const std::vector<std::string> dims = split(spec.substr(eq + 1), 'x');
        if (eq == std::string::npos || dims.size() != 3) {
          return usage(("bad shape " + spec + " (NAME=NxKxCOUNT)").c_str());
        }
        shapes.push_back({spec.substr(0, eq), std::atoll(dims[0].c_str()),
                          std::atoll(dims[1].c_str()), std::atoll(dims[2].c_str())});
      }
    } else {
      return usage(("unknown argument " + a).c_str());
    }
  }
  if (threads < 1 || rows.empty() || dtypes.empty() || shapes.empty() || seconds < 0) {
    return usage("threads, rows, dtypes and shapes must be positive");
  }
  for (int64_t m : rows) {
    if (m < 1) return usage("rows must be positive");
  }
  for (const Shape &s : shapes) {
    if (s.n < 16 || s.n % 16 != 0 || s.k < 2 || s.k % 32 != 0 || s.count < 1) {
      return usage(("shape " + s.name + ": n a multiple of 16, k of 32, count >= 1").c_str());
    }
  }
  cpu::ThreadPool pool(threads);
  const int64_t max_rows = *std::max_element(rows.begin(), rows.end());
  std::printf("threads %d, cpu isa %s; G multiply-adds/s, best of >= 3 runs in %.2f s\n", threads,
              cpu::isaName(cpu::activeIsa()), seconds);
  bool failed = false;
  for (DType dtype : dtypes) {
    const char *dname = dtype == DType::kBF16 ? "bf16" : "f32";
    // Per engine and row count: weighted MACs and seconds over the shapes.
    std::vector<std::string> names;
    std::vector<std::vector<double>> macs, secs;
    std::vector<std::string> variant_rows;  // per engine: row counts where row 0 changed
    for (const Shape &s : shapes) {
      std::mt19937 gen(static_cast<uint32_t>(s.n * 31 + s.k));
      std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
      std::vector<float> w(s.n * s.k), x(max_rows * s.k);
      for (float &v : w) v = dist(gen);
      if (dtype == DType::kBF16) {
        for (float &v : w) v = fromBf16(toBf16(v));
      }
      for (float &v : x) v = dist(gen);
      std::vector<Engine> engines;
      engines.push_back(lfmEngine(w, s, dtype, pool));
#ifdef LFM_GEMM_BENCH_DNNL
      Engine d;
      if (dnnlEngine(w, s, dtype, &d)) engines.push_back(std::move(d));
#endif
#ifdef LFM_GEMM_BENCH_OPENBLAS
      Engine b;
      if (openblasEngine(w, s, dtype, threads, &b)) engines.push_back(std::move(b));
#endif
      if (names.empty()) {
        for (const Engine &e : engines) names.push_back(e.name);
        macs.assign(engines.size(), std::vector<double>(rows.size(), 0.0));
        secs = macs;
        variant_rows.assign(engines.size(), "");
        std::printf("\n%-5s %5s  %-22s", dname, "rows", "shape (n x k)");
        for (const std::string &n : names) std::printf("  %20.20s", n.c_str());
        std::printf("\n");
      }
      // Each engine's row 0 alone, to compare with its steps of more rows.
      std::vector<float> y(max_rows * s.n);
      std::vector<std::vector<float>> alone(engines.size(), std::vector<float>(s.n));
      for (size_t ei = 0; ei < engines.size() && ei < names.size(); ++ei) {
        engines[ei].run(x.data(), 1, alone[ei].data());
      }
      for (size_t ri = 0; ri < rows.size(); ++ri) {
        const int64_t m = rows[ri];
        char label[64];
        std::snprintf(label, sizeof label, "%s %lldx%lld", s.name.c_str(),
                      static_cast<long long>(s.n), static_cast<long long>(s.k));
        std::printf("%-5s %5lld  %-22s", dname, static_cast<long long>(m), label);
        for (size_t ei = 0; ei < engines.size() && ei < names.size(); ++ei) {
          Engine &e = engines[ei];
          e.run(x.data(), m, y.data());  // warm-up (and oneDNN's primitive)
          double best = 1e30, start = now();
          for (int run = 0; run < 3 || now() - start < seconds; ++run) {
            const double t0 = now();
            e.run(x.data(), m, y.data());
            best = std::min(best, now() - t0);
          }
          const double mac = static_cast<double>(m) * s.n * s.k;
          macs[ei][ri] += mac * s.count;
          secs[ei][ri] += best * s.count;
          std::printf("  %20.1f", mac / best / 1e9);
          // Against a double reference on a sample of elements.
          const double tol = e.x_bf16 ? 8e-3 : 1e-5;
          for (int64_t i = 0; i < 61; ++i) {
            const int64_t r = (i * 7) % m, c = (i * 1009) % s.n;
            double ref = 0, mag = 0;
            for (int64_t j = 0; j < s.k; ++j) {
              ref += static_cast<double>(x[r * s.k + j]) * w[c * s.k + j];
              mag += std::fabs(static_cast<double>(x[r * s.k + j]) * w[c * s.k + j]);
            }
            if (!(std::fabs(y[r * s.n + c] - ref) <= tol * mag)) {
              std::fprintf(stderr, "gemm_bench: %s %s %s rows %lld: y[%lld][%lld] = %g, want %g\n",
                           e.name.c_str(), dname, s.name.c_str(), static_cast<long long>(m),
                           static_cast<long long>(r), static_cast<long long>(c), y[r * s.n + c],
                           ref);
              failed = true;
              break;
            }
          }
          if (std::memcmp(y.data(), alone[ei].data(), s.n * sizeof(float)) != 0) {
            variant_rows[ei] += " " + s.name + "@" + std::to_string(m);
          }
        }
        std::printf("\n");
      }
    }
    for (size_t ri = 0; ri < rows.size(); ++ri) {
      std::printf("%-5s %5lld  %-22s", dname, static_cast<long long>(rows[ri]), "all, count-weighted");
      for (size_t ei = 0; ei < names.size(); ++ei) {
        std::printf("  %20.1f", macs[ei][ri] / secs[ei][ri] / 1e9);
      }
      std::printf("\n");
    }
    for (size_t ei = 0; ei < names.size(); ++ei) {
      const bool invariant = variant_rows[ei].empty();
      std::printf("%-5s %s: row 0 the same bits alone and in every step: %s%s\n", dname,
                  names[ei].c_str(), invariant ? "yes" : "no, changed at",
                  variant_rows[ei].c_str());
      if (ei == 0 && !invariant) failed = true;  // lfm's must be
    }
  }
  return failed ? 1 : 0;
}
