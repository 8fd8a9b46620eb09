// Sequential-curve fitting throughput: many sigmoid fits (binomial MLE with Fisher covariance) from one given start
// each, single-threaded for the time per fit and on several threads for the batch. Writes the generated data and
// the fitted parameters so that bench/fit_vs_scipy.py can fit the same curves from the same starts.
//
//   bench_fit [--fits N] [--threads T] [--data FILE] [--results FILE] [--seed S]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fitting/sequential_fit.h"

using thinkplan::SequentialCurve;
using thinkplan::fitting::FitSigmoidFrom;
using thinkplan::fitting::Options;
using thinkplan::fitting::SequentialPoint;
using thinkplan::fitting::SigmoidStart;

namespace {

struct Dataset {
  std::vector<SequentialPoint> points;
  std::vector<double> start;  // lo, hi, k, b50
};

// Curves like the reasoning curves in the shipped data: 8 budgets from 256 to 32768 tokens, 200 problems each.
std::vector<Dataset> Generate(int fits, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<Dataset> out(fits);
  for (Dataset& d : out) {
    const double lo = 0.05 + 0.25 * u(rng), hi = 0.6 + 0.35 * u(rng), k = 0.8 + 1.7 * u(rng);
    const double b50 = std::exp(std::log(1000.0) + std::log(8.0) * u(rng));
    for (int e = 8; e <= 15; ++e) {
      const double b = std::pow(2.0, e);
      const double p = lo + (hi - lo) / (1.0 + std::exp(-k * (std::log(b) - std::log(b50))));
      std::binomial_distribution<int> draw(200, p);
      d.points.push_back({b, 200.0, static_cast<double>(draw(rng))});
    }
    d.start = SigmoidStart(d.points);
  }
  return out;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  int fits = 10000, threads = 2;
  unsigned seed = 1;
  std::string data_path, results_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--fits")) fits = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seed")) seed = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--data")) data_path = argv[i + 1];
    else if (!std::strcmp(argv[i], "--results")) results_path = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 1;
    }
  }
  const std::vector<Dataset> datasets = Generate(fits, seed);
  const Options options;

  // One thread: time per fit.
  std::vector<SequentialCurve> curves(datasets.size());
  auto started = std::chrono::steady_clock::now();
  for (size_t i = 0; i < datasets.size(); ++i) curves[i] = FitSigmoidFrom(datasets[i].points, datasets[i].start, options);
  const double single = Seconds(started);

  // Several threads: the whole batch, fits split into contiguous slices.
  std::vector<SequentialCurve> parallel(datasets.size());
  started = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (size_t i = t; i < datasets.size(); i += threads) {
        parallel[i] = FitSigmoidFrom(datasets[i].points, datasets[i].start, options);
      }
    });
  }
  for (std::thread& w : workers) w.join();
  const double batch = Seconds(started);

  long converged = 0, with_covariance = 0;
  for (const SequentialCurve& c : curves) {
    converged += c.quality.status == thinkplan::FitStatus::kOk;
    with_covariance += c.covariance.size() == 16;
  }
  std::printf("thinkplan: %d sigmoid fits (8 points each, Fisher covariance), %ld converged, %ld with covariance\n",
              fits, converged, with_covariance);
  std::printf("thinkplan: %.2f us per fit on 1 thread; %d fits in %.3f s on %d threads\n", 1e6 * single / fits, fits,
              batch, threads);

  if (!data_path.empty()) {
    std::ofstream out(data_path);
    out << "fit,start_lo,start_hi,start_k,start_b50";
    for (int j = 0; j < 8; ++j) out << ",tokens" << j << ",n" << j << ",correct" << j;
    out << "\n";
    out.precision(17);
    for (size_t i = 0; i < datasets.size(); ++i) {
      out << i;
      for (double s : datasets[i].start) out << "," << s;
      for (const SequentialPoint& p : datasets[i].points) out << "," << p.tokens << "," << p.n << "," << p.correct;
      out << "\n";
    }
  }
  if (!results_path.empty()) {
    std::ofstream out(results_path);
    out << "fit,status,lo,hi,k,b50,deviance,seconds_per_fit\n";
    out.precision(17);
    for (size_t i = 0; i < curves.size(); ++i) {
      const SequentialCurve& c = curves[i];
      out << i << "," << ToString(c.quality.status) << "," << c.params[0] << "," << c.params[1] << "," << c.params[2]
          << "," << c.b50() << "," << c.quality.deviance << "," << single / fits << "\n";
    }
  }
  return 0;
}
