#include "agent/otlp/span_sampler.h"

#include <gtest/gtest.h>

#include <random>

namespace coral::agent {
namespace {

using namespace std::chrono_literals;
using telemetry::Span;
using telemetry::SpanStatusCode;

Span MakeSpan(uint64_t seed, std::chrono::nanoseconds duration,
              SpanStatusCode status = SpanStatusCode::kUnset) {
  std::mt19937_64 rng(seed);
  Span s;
  for (auto& b : s.trace_id) b = static_cast<uint8_t>(rng());
  s.span_id[0] = 1;
  s.start_unix_nano = 1'700'000'000'000'000'000ULL;
  s.end_unix_nano = s.start_unix_nano + static_cast<uint64_t>(duration.count());
  s.status_code = status;
  return s;
}

TEST(SpanSamplerTest, DefaultPolicyKeepsEverythingAndSaysWhy) {
  SpanSampler sampler(SamplingPolicy{});
  EXPECT_EQ(sampler.Decide(MakeSpan(1, 1ms, SpanStatusCode::kError)), SampleDecision::kKeptError);
  EXPECT_EQ(sampler.Decide(MakeSpan(2, 500ms)), SampleDecision::kKeptSlow);
  EXPECT_EQ(sampler.Decide(MakeSpan(3, 499ms)), SampleDecision::kKeptSampled);
  EXPECT_EQ(sampler.Decide(MakeSpan(4, 1ms, SpanStatusCode::kOk)), SampleDecision::kKeptSampled);
}

TEST(SpanSamplerTest, ZeroFractionDropsAllButErrorsAndSlowSpans) {
  SpanSampler sampler(SamplingPolicy{.keep_fraction = 0});
  EXPECT_EQ(sampler.Decide(MakeSpan(1, 1ms, SpanStatusCode::kError)), SampleDecision::kKeptError);
  EXPECT_EQ(sampler.Decide(MakeSpan(2, 2s)), SampleDecision::kKeptSlow);
  EXPECT_EQ(sampler.Decide(MakeSpan(3, 10ms)), SampleDecision::kDropped);
  EXPECT_EQ(sampler.Decide(MakeSpan(4, 10ms, SpanStatusCode::kOk)), SampleDecision::kDropped);
}

TEST(SpanSamplerTest, ErrorsSampledLikeOthersWhenAskedAndThresholdZeroIsOff) {
  SpanSampler sampler(SamplingPolicy{
      .error_spans = ErrorSpans::kSample, .latency_threshold = 0s, .keep_fraction = 0});
  EXPECT_EQ(sampler.Decide(MakeSpan(1, 1ms, SpanStatusCode::kError)), SampleDecision::kDropped);
  EXPECT_EQ(sampler.Decide(MakeSpan(2, 1h)), SampleDecision::kDropped);
}

TEST(SpanSamplerTest, FractionIsDecidedPerTraceAndCloseToAskedShare) {
  SpanSampler sampler(SamplingPolicy{.keep_fraction = 0.25});
  int kept = 0;
  constexpr int kTraces = 20000;
  for (int i = 0; i < kTraces; ++i) {
    Span a = MakeSpan(static_cast<uint64_t>(i), 1ms);
    Span b = a;  // another span of the same trace, other id and duration
    b.span_id[0] = 2;
    b.end_unix_nano = b.start_unix_nano + 7'000'000;
    SampleDecision da = sampler.Decide(a), db = sampler.Decide(b);
    EXPECT_EQ(da, db) << "trace " << i << " split";
    if (da == SampleDecision::kKeptSampled) ++kept;
  }
  // 25% of 20000 is 5000; the binomial sd is ~61, so 4700..5300 is ~5 sd.
  EXPECT_GT(kept, 4700);
  EXPECT_LT(kept, 5300);
}

TEST(SpanSamplerTest, HashUsesBothHalvesOfTheTraceId) {
  telemetry::TraceId a{}, b{};
  a[15] = 1;
  b[15] = 2;
  EXPECT_NE(SpanSampler::TraceHash(a), SpanSampler::TraceHash(b));
  telemetry::TraceId c{}, d{};
  c[0] = 1;
  d[0] = 2;
  EXPECT_NE(SpanSampler::TraceHash(c), SpanSampler::TraceHash(d));
}

}  // namespace
}  // namespace coral::agent
