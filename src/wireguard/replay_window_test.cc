#include "wireguard/replay_window.h"

#include <gtest/gtest.h>

#include "wireguard/messages.h"

namespace coral::wireguard {
namespace {

TEST(ReplayWindowTest, AcceptsEachCounterOnce) {
  ReplayWindow w;
  EXPECT_TRUE(w.Accept(0));
  EXPECT_FALSE(w.Accept(0));
  EXPECT_TRUE(w.Accept(1));
  EXPECT_TRUE(w.Accept(3));
  EXPECT_TRUE(w.Accept(2));
  EXPECT_FALSE(w.Accept(2));
  EXPECT_FALSE(w.Accept(3));
}

TEST(ReplayWindowTest, WindowEdges) {
  ReplayWindow w;
  const uint64_t top = 20000;
  EXPECT_TRUE(w.Accept(top));
  // The oldest counter still inside the window, and the first one outside.
  EXPECT_TRUE(w.Accept(top - ReplayWindow::kWindowSize + 1));
  EXPECT_FALSE(w.Accept(top - ReplayWindow::kWindowSize + 1));
  EXPECT_FALSE(w.Accept(top - ReplayWindow::kWindowSize - 1));
  EXPECT_TRUE(w.Accept(top - 1));
  // Jumping far ahead clears old bits without accepting old replays.
  EXPECT_TRUE(w.Accept(top + 3 * ReplayWindow::kBitsTotal));
  EXPECT_FALSE(w.Accept(top));
  EXPECT_TRUE(w.Accept(top + 3 * ReplayWindow::kBitsTotal - 5));
}

TEST(ReplayWindowTest, BitsReusedAfterWrapAreFresh) {
  ReplayWindow w;
  for (uint64_t c = 0; c < 3 * ReplayWindow::kBitsTotal; ++c) ASSERT_TRUE(w.Accept(c)) << c;
  for (uint64_t c = 3 * ReplayWindow::kBitsTotal - 100; c < 3 * ReplayWindow::kBitsTotal; ++c) {
    ASSERT_FALSE(w.Accept(c)) << c;
  }
}

TEST(ReplayWindowTest, RejectsPastMessageLimit) {
  ReplayWindow w;
  EXPECT_TRUE(w.Accept(kRejectAfterMessages - 1));
  EXPECT_FALSE(w.Accept(kRejectAfterMessages));
  EXPECT_FALSE(w.Accept(UINT64_MAX));
}

}  // namespace
}  // namespace coral::wireguard
