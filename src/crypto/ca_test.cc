#include "crypto/ca.h"

#include <gtest/gtest.h>

#include "base/files.h"
#include "base/ids.h"
#include "base/subprocess.h"

namespace coral::crypto {
namespace {

TEST(CaTest, CreatesAValidSelfSignedRoot) {
  auto ca = CertificateAuthority::Create("Coral colony CA shop-prod-abc123", 10);
  ASSERT_TRUE(ca.ok()) << ca.status().ToString();
  EXPECT_EQ(ca->fingerprint().rfind("sha256:", 0), 0u);
  EXPECT_EQ(ca->fingerprint().size(), 7u + 64u);
  EXPECT_NE(ca->subject().find("CN=Coral colony CA shop-prod-abc123"), std::string::npos);
  EXPECT_EQ(*CertificateFingerprint(ca->files().cert_pem), ca->fingerprint());

  // An independent implementation (the openssl command) accepts it as a CA.
  auto dir = std::filesystem::temp_directory_path() / ("coral-ca-test-" + RandomHex(6));
  ASSERT_TRUE(MakeDirs(dir, FileMode::kPrivate).ok());
  ASSERT_TRUE(WriteFileAtomic(dir / "ca.crt", ca->files().cert_pem, FileMode::kPublic).ok());
  auto verify = RunCommand(
      {"openssl", "verify", "-CAfile", (dir / "ca.crt").string(), (dir / "ca.crt").string()});
  auto text = RunCommand({"openssl", "x509", "-in", (dir / "ca.crt").string(), "-noout", "-text"});
  (void)RemoveAll(dir);
  ASSERT_TRUE(verify.ok());
  EXPECT_TRUE(verify->exit.ok()) << verify->out << verify->err;
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->out.find("CA:TRUE"), std::string::npos);
  EXPECT_NE(text->out.find("prime256v1"), std::string::npos);
  EXPECT_NE(text->out.find("Certificate Sign"), std::string::npos);
}

TEST(CaTest, LoadChecksKeyMatchesCert) {
  auto a = CertificateAuthority::Create("a", 1);
  auto b = CertificateAuthority::Create("b", 1);
  ASSERT_TRUE(a.ok() && b.ok());
  auto loaded = CertificateAuthority::Load(a->files());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->fingerprint(), a->fingerprint());
  auto mixed = CertificateAuthority::Load({a->files().cert_pem, b->files().key_pem});
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("does not match"), std::string::npos);
  EXPECT_FALSE(CertificateAuthority::Load({"garbage", a->files().key_pem}).ok());
}

TEST(CaTest, IssuesLeafCertificatesThatOpensslVerifies) {
  auto ca = CertificateAuthority::Create("test CA", 1);
  ASSERT_TRUE(ca.ok());
  auto leaf = ca->Issue({.common_name = "agent-1",
                         .dns_names = {"localhost"},
                         .ip_addresses = {"127.0.0.1"},
                         .uris = {"coral://shop-prod-abc123/agent/agent-1"},
                         .days = 90,
                         .usage = CertUsage::kServerAndClient});
  ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
  auto dir = std::filesystem::temp_directory_path() / ("coral-ca-test-" + RandomHex(6));
  ASSERT_TRUE(MakeDirs(dir, FileMode::kPrivate).ok());
  ASSERT_TRUE(WriteFileAtomic(dir / "ca.crt", ca->files().cert_pem, FileMode::kPublic).ok());
  ASSERT_TRUE(WriteFileAtomic(dir / "leaf.crt", leaf->cert_pem, FileMode::kPublic).ok());
  auto verify = RunCommand({"openssl", "verify", "-CAfile", (dir / "ca.crt").string(), "-purpose",
                            "sslserver", (dir / "leaf.crt").string()});
  auto text =
      RunCommand({"openssl", "x509", "-in", (dir / "leaf.crt").string(), "-noout", "-text"});
  (void)RemoveAll(dir);
  ASSERT_TRUE(verify.ok() && text.ok());
  EXPECT_TRUE(verify->exit.ok()) << verify->out << verify->err;
  EXPECT_NE(text->out.find("URI:coral://shop-prod-abc123/agent/agent-1"), std::string::npos);
  EXPECT_NE(text->out.find("IP Address:127.0.0.1"), std::string::npos);
  EXPECT_NE(text->out.find("CA:FALSE"), std::string::npos);
  EXPECT_NE(text->out.find("TLS Web Client Authentication"), std::string::npos);
}

TEST(CaTest, EachCaIsUnique) {
  auto a = CertificateAuthority::Create("same", 1);
  auto b = CertificateAuthority::Create("same", 1);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->fingerprint(), b->fingerprint());
}

TEST(CaTest, SignsACsrKeepingTheRequestersKeyAndOnlyTheCasNames) {
  auto ca = CertificateAuthority::Create("test CA", 1);
  ASSERT_TRUE(ca.ok());
  auto req = NewKeyAndCsr("agent-7");
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  auto cert = ca->IssueForCsr(req->csr_pem, {.common_name = "agent-7",
                                             .ip_addresses = {"100.97.0.7"},
                                             .uris = {"coral://c1/agent/agent-7"},
                                             .days = 90,
                                             .usage = CertUsage::kServerAndClient});
  ASSERT_TRUE(cert.ok()) << cert.status().ToString();
  EXPECT_TRUE(*VerifyIssuedBy(*cert, ca->files().cert_pem));
  auto other = CertificateAuthority::Create("other CA", 1);
  EXPECT_FALSE(*VerifyIssuedBy(*cert, other->files().cert_pem));
  auto info = InspectCertificate(*cert);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->uris, std::vector<std::string>{"coral://c1/agent/agent-7"});
  EXPECT_EQ(info->fingerprint, *CertificateFingerprint(*cert));
  auto days = std::chrono::duration_cast<std::chrono::hours>(info->not_after -
                                                             std::chrono::system_clock::now())
                  .count() / 24;
  EXPECT_TRUE(days == 89 || days == 90) << days;

  // The key in the certificate is the requester's: openssl pairs them.
  auto dir = std::filesystem::temp_directory_path() / ("coral-ca-test-" + RandomHex(6));
  ASSERT_TRUE(MakeDirs(dir, FileMode::kPrivate).ok());
  ASSERT_TRUE(WriteFileAtomic(dir / "leaf.crt", *cert, FileMode::kPublic).ok());
  ASSERT_TRUE(WriteFileAtomic(dir / "leaf.key", req->key_pem, FileMode::kPrivate).ok());
  auto from_cert = RunCommand({"openssl", "x509", "-in", (dir / "leaf.crt").string(), "-noout",
                               "-pubkey"});
  auto from_key = RunCommand({"openssl", "pkey", "-in", (dir / "leaf.key").string(), "-pubout"});
  (void)RemoveAll(dir);
  ASSERT_TRUE(from_cert.ok() && from_key.ok());
  EXPECT_EQ(from_cert->out, from_key->out);
  EXPECT_FALSE(from_cert->out.empty());
}

TEST(CaTest, RefusesBadCertificateRequests) {
  auto ca = CertificateAuthority::Create("test CA", 1);
  ASSERT_TRUE(ca.ok());
  auto garbage = ca->IssueForCsr("not a csr", {.common_name = "x"});
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("not valid PEM"), std::string::npos);
  // A request changed after signing does not verify.
  auto req = NewKeyAndCsr("agent-a");
  ASSERT_TRUE(req.ok());
  std::string spliced = req->csr_pem;
  // Swapping one base64 character in the middle breaks either the DER or the signature.
  size_t mid = spliced.size() / 2;
  spliced[mid] = spliced[mid] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(ca->IssueForCsr(spliced, {.common_name = "x"}).ok());
}

}  // namespace
}  // namespace coral::crypto
