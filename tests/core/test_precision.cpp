// Precision of weights and KV cache (core/precision.h): bytes per value, the matrix peak a card reaches at it
// (with the datasheet's fallbacks), and a shape served at another precision.
#include <boost/test/unit_test.hpp>

#include "core/cost_model.h"
#include "core/model_shape.h"
#include "core/precision.h"

using namespace thinkplan;

BOOST_AUTO_TEST_SUITE(precision)

BOOST_AUTO_TEST_CASE(bytes_per_value_and_spellings) {
  BOOST_TEST(BytesPerValue(*ParsePrecision("BF16")) == 2.0);
  BOOST_TEST(BytesPerValue(*ParsePrecision("fp8")) == 1.0);
  BOOST_TEST(BytesPerValue(*ParsePrecision("int8")) == 1.0);
  BOOST_TEST(BytesPerValue(*ParsePrecision("int4")) == 0.5);
  BOOST_TEST(!ParsePrecision("fp4").has_value());
  BOOST_TEST(IsKvPrecision(Precision::kFp8));
  BOOST_TEST(!IsKvPrecision(Precision::kInt4));
}

BOOST_AUTO_TEST_CASE(the_peak_follows_the_precision_where_the_card_lists_it) {
  HardwareInfo h100;  // NVIDIA H100 SXM datasheet, dense: bf16 989, fp8 1979 TFLOP/s
  h100.bf16_dense_tflops = 989;
  h100.fp8_dense_tflops = 1979;
  BOOST_TEST(PeakFor(h100, Precision::kBf16)->tflops == 989.0);
  BOOST_TEST(PeakFor(h100, Precision::kFp8)->tflops == 1979.0);
  BOOST_TEST((PeakFor(h100, Precision::kInt8)->precision == Precision::kFp8));  // no int8 row: the 1-byte peak
  BOOST_TEST((PeakFor(h100, Precision::kInt4)->precision == Precision::kFp8));
  HardwareInfo a100;  // NVIDIA A100 datasheet, dense: bf16 312 TFLOP/s, int8 624 and int4 1248 TOPS; no fp8
  a100.bf16_dense_tflops = 312;
  BOOST_TEST((PeakFor(a100, Precision::kFp8)->precision == Precision::kBf16));
  a100.int8_dense_tops = 624;
  a100.int4_dense_tops = 1248;
  BOOST_TEST(PeakFor(a100, Precision::kFp8)->tflops == 624.0);
  BOOST_TEST(PeakFor(a100, Precision::kInt4)->tflops == 1248.0);
  HardwareInfo bare;
  BOOST_TEST(!PeakFor(bare, Precision::kBf16).has_value());
  // The rates use that peak: F_eff = devices x peak x flops_fraction.
  Efficiency e;
  e.flops_fraction = 0.5;
  a100.hbm_tb_per_s = 2.039;
  BOOST_TEST(RatesFromDatasheet(a100, 2, e, Precision::kInt4).flops_per_s == 2 * 1248e12 * 0.5,
             boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(a_shape_served_at_another_precision_scales_weights_and_cache) {
  ModelShape s;  // Llama-3.1-70B (config.json): 80 layers, 64 query / 8 KV heads of 128
  s.name = "l70";
  s.params_total = s.params_active = 70.55e9;
  s.layers = 80;
  s.hidden = 8192;
  s.heads = 64;
  s.kv_heads = 8;
  s.head_dim = 128;
  BOOST_TEST(s.WeightBytes() == 141.1e9, boost::test_tools::tolerance(1e-12));
  s.SetPrecision(Precision::kInt4, Precision::kFp8);
  BOOST_TEST(s.WeightBytes() == 35.275e9, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(s.KvBytesPerToken() == 2.0 * 80 * 8 * 128);
  // An overridden cache size (DeepSeek-R1's MLA latent, 70,272 bytes in bf16) halves in fp8.
  ModelShape r1 = s;
  r1.SetPrecision(Precision::kFp8, Precision::kBf16);
  r1.kv_bytes_per_token_override = 70272;
  r1.SetPrecision(Precision::kFp8, Precision::kFp8);
  BOOST_TEST(r1.KvBytesPerToken() == 35136.0);
}

BOOST_AUTO_TEST_SUITE_END()
