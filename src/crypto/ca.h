// The colony's certificate authority. Each colony owns a self-signed ECDSA
// P-256 root; agents pin its SHA-256 fingerprint (from the join token) when
// they enroll, and the colony signs their certificates.
//
// Thread-safety: CertificateAuthority is immutable after Create/Load and safe
// to share across threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace coral::crypto {

struct CaFiles {
  std::string cert_pem;  // public: ca.crt
  std::string key_pem;   // secret: ca.key (0600)
};

enum class CertUsage { kServer, kClient, kServerAndClient };

// A certificate to issue under the CA, with a fresh P-256 key.
struct LeafSpec {
  std::string common_name;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::vector<std::string> uris;  // e.g. coral://shop-prod-abc123/agent/AGENT
  int days = 90;
  CertUsage usage = CertUsage::kServer;
};

struct IssuedCert {
  std::string cert_pem;
  std::string key_pem;  // secret
};

class CertificateAuthority {
 public:
  // A new root: subject CN=common_name, O=Coral, valid for `years` from now.
  static Result<CertificateAuthority> Create(const std::string& common_name, int years,
                                             const Clock& clock = SystemClock::Get());
  // Loads a CA from PEM (certificate and its private key, which must match).
  static Result<CertificateAuthority> Load(const CaFiles& files);

  // Issues a leaf certificate (not a CA) signed by this CA, with a fresh key.
  Result<IssuedCert> Issue(const LeafSpec& spec, const Clock& clock = SystemClock::Get()) const;
  // Signs the key of a PEM certificate request (whose signature must verify;
  // ECDSA P-256 only). Names and usage come from `spec` alone, never from the
  // request. Returns the certificate PEM.
  Result<std::string> IssueForCsr(const std::string& csr_pem, const LeafSpec& spec,
                                  const Clock& clock = SystemClock::Get()) const;

  const CaFiles& files() const { return files_; }
  // "sha256:<64 hex>" over the DER certificate, as join tokens carry it.
  const std::string& fingerprint() const { return fingerprint_; }
  const std::string& subject() const { return subject_; }

 private:
  Result<std::string> SignLeaf(EVP_PKEY* public_key, const LeafSpec& spec,
                               const Clock& clock) const;
  CaFiles files_;
  std::string fingerprint_;
  std::string subject_;
};

// Fingerprint of any PEM certificate, "sha256:<hex>".
Result<std::string> CertificateFingerprint(const std::string& cert_pem);

// A fresh ECDSA P-256 key and a certificate request for it (subject CN only):
// what an agent sends to enroll, keeping its key.
struct KeyAndCsr {
  std::string key_pem;  // secret
  std::string csr_pem;
};
Result<KeyAndCsr> NewKeyAndCsr(const std::string& common_name);

// What a peer's certificate says about it.
struct CertInfo {
  std::string fingerprint;  // sha256:<hex>
  std::string subject;
  std::vector<std::string> uris;  // URI SANs, e.g. coral://COLONY/agent/AGENT
  WallTime not_after{};
};
Result<CertInfo> InspectCertificate(const std::string& cert_pem);
// Whether cert_pem carries a valid signature by the CA in ca_pem.
Result<bool> VerifyIssuedBy(const std::string& cert_pem, const std::string& ca_pem);

}  // namespace coral::crypto
