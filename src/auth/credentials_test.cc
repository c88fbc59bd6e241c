#include "auth/credentials.h"

#include <gtest/gtest.h>

#include "net/http.h"

namespace coral::auth {
namespace {

TEST(CredentialsTest, BearerTokensAreReadOnceTheSameWay) {
  EXPECT_EQ(BearerToken("Bearer abc"), "abc");
  EXPECT_EQ(BearerToken("bearer abc"), "abc");
  EXPECT_EQ(BearerToken("BEARER   abc  "), "abc");
  EXPECT_EQ(BearerToken("Basic YWxhZGRpbjpvcGVuc2VzYW1l"), "");
  EXPECT_EQ(BearerToken("Bearer"), "");
  EXPECT_EQ(BearerToken("Bearerabc"), "");
  EXPECT_EQ(BearerToken(""), "");
}

TEST(CredentialsTest, FromHttpTakesTheBearerCertificateAndPeer) {
  net::HttpRequest req;
  req.headers = {{"authorization", "Bearer coralapi1_x_y"}};
  req.peer_cert_pem = "-----BEGIN CERTIFICATE-----";
  req.remote = "10.0.0.7:5555";
  Credentials c = FromHttp(req);
  EXPECT_EQ(c.bearer, "coralapi1_x_y");
  EXPECT_EQ(c.client_cert_pem, req.peer_cert_pem);
  EXPECT_EQ(c.remote, "10.0.0.7:5555");
  EXPECT_TRUE(c.join_secret.empty());
}

}  // namespace
}  // namespace coral::auth
