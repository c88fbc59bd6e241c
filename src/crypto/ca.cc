#include "crypto/ca.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/ids.h"

namespace coral::crypto {

namespace {

// RAII for the OpenSSL objects this file uses.
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::string OpenSslError(std::string_view what) {
  unsigned long err = ERR_get_error();
  char buf[256] = "unknown error";
  if (err != 0) ERR_error_string_n(err, buf, sizeof(buf));
  ERR_clear_error();
  return std::string(what) + ": " + buf;
}

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<std::string> FingerprintOf(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(cert, EVP_sha256(), md, &n) != 1) {
    return Internal(OpenSslError("certificate digest"));
  }
  return "sha256:" + HexEncode(md, n);
}

std::string SubjectOf(X509* cert) {
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
  return buf;
}

Status AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return Internal(OpenSslError("certificate extension"));
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return Internal(OpenSslError("add certificate extension"));
  return Status::Ok();
}

Result<X509Ptr> ParseCert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return InvalidArgument(OpenSslError("certificate is not valid PEM"));
  return cert;
}

Result<PkeyPtr> NewP256Key() {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> kctx(EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr));
  EVP_PKEY* raw_key = nullptr;
  if (!kctx || EVP_PKEY_keygen_init(kctx.get()) != 1 ||
      EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kctx.get(), NID_X9_62_prime256v1) != 1 ||
      EVP_PKEY_keygen(kctx.get(), &raw_key) != 1) {
    return Internal(OpenSslError("generate P-256 key"));
  }
  return PkeyPtr(raw_key);
}

// A v3 certificate with a random serial, valid from 5 minutes ago (clock
// skew) for `days`, with the given subject CN.
X509Ptr NewCert(const std::string& common_name, int64_t days, const Clock& clock) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  auto serial = RandomBytes(16);
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  time_t now = std::chrono::system_clock::to_time_t(clock.Now());
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), now - 300);
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), now + static_cast<time_t>(days) * 86400);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Coral"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  return cert;
}

Result<std::string> CertPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(bio.get(), cert) != 1) return Internal(OpenSslError("encode certificate"));
  return BioToString(bio.get());
}

Result<std::string> KeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Internal(OpenSslError("encode private key"));
  }
  return BioToString(bio.get());
}

Result<PkeyPtr> ParseKey(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return InvalidArgument(OpenSslError("private key is not valid PEM"));
  return key;
}

}  // namespace

Result<CertificateAuthority> CertificateAuthority::Create(const std::string& common_name, int years,
                                                          const Clock& clock) {
  PkeyPtr key = CORAL_TRY(NewP256Key());
  X509Ptr cert = NewCert(common_name, static_cast<int64_t>(years) * 365, clock);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  X509_set_pubkey(cert.get(), key.get());
  CORAL_TRY(AddExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  CORAL_TRY(AddExtension(cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  CORAL_TRY(AddExtension(cert.get(), NID_subject_key_identifier, "hash"));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return Internal(OpenSslError("sign CA certificate"));
  }

  CertificateAuthority ca;
  ca.files_ = {CORAL_TRY(CertPem(cert.get())), CORAL_TRY(KeyPem(key.get()))};
  ca.fingerprint_ = CORAL_TRY(FingerprintOf(cert.get()));
  ca.subject_ = SubjectOf(cert.get());
  return ca;
}

Result<CertificateAuthority> CertificateAuthority::Load(const CaFiles& files) {
  X509Ptr cert = CORAL_TRY(ParseCert(files.cert_pem));
  PkeyPtr key = CORAL_TRY(ParseKey(files.key_pem));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return InvalidArgument("CA key does not match the CA certificate");
  }
  CertificateAuthority ca;
  ca.files_ = files;
  ca.fingerprint_ = CORAL_TRY(FingerprintOf(cert.get()));
  ca.subject_ = SubjectOf(cert.get());
  return ca;
}

Result<std::string> CertificateAuthority::SignLeaf(EVP_PKEY* public_key, const LeafSpec& spec,
                                                  const Clock& clock) const {
  X509Ptr ca_cert = CORAL_TRY(ParseCert(files_.cert_pem));
  PkeyPtr ca_key = CORAL_TRY(ParseKey(files_.key_pem));
  X509Ptr cert = NewCert(spec.common_name, spec.days, clock);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get()));
  X509_set_pubkey(cert.get(), public_key);

  std::string san;
  auto add = [&san](const std::string& kind, const std::string& value) {
    if (!san.empty()) san += ",";
    san += kind + ":" + value;
  };
  for (const auto& d : spec.dns_names) add("DNS", d);
  for (const auto& ip : spec.ip_addresses) add("IP", ip);
  for (const auto& uri : spec.uris) add("URI", uri);
  const char* eku = spec.usage == CertUsage::kServer   ? "serverAuth"
                    : spec.usage == CertUsage::kClient ? "clientAuth"
                                                       : "serverAuth,clientAuth";
  // The issuer's key identifier links the leaf to its CA.
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca_cert.get(), cert.get(), nullptr, nullptr, 0);
  auto add_ext = [&](int nid, const std::string& value) -> Status {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr) return InvalidArgument(OpenSslError("certificate extension " + value));
    int ok = X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1 ? Status::Ok() : Internal(OpenSslError("add certificate extension"));
  };
  CORAL_TRY(add_ext(NID_basic_constraints, "critical,CA:FALSE"));
  CORAL_TRY(add_ext(NID_key_usage, "critical,digitalSignature,keyAgreement"));
  CORAL_TRY(add_ext(NID_ext_key_usage, eku));
  CORAL_TRY(add_ext(NID_authority_key_identifier, "keyid:always"));
  if (!san.empty()) CORAL_TRY(add_ext(NID_subject_alt_name, san));
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) == 0) {
    return Internal(OpenSslError("sign certificate"));
  }
  return CertPem(cert.get());
}

Result<IssuedCert> CertificateAuthority::Issue(const LeafSpec& spec, const Clock& clock) const {
  PkeyPtr key = CORAL_TRY(NewP256Key());
  std::string cert = CORAL_TRY(SignLeaf(key.get(), spec, clock));
  return IssuedCert{std::move(cert), CORAL_TRY(KeyPem(key.get()))};
}

Result<std::string> CertificateAuthority::IssueForCsr(const std::string& csr_pem,
                                                     const LeafSpec& spec,
                                                     const Clock& clock) const {
  BioPtr bio(BIO_new_mem_buf(csr_pem.data(), static_cast<int>(csr_pem.size())));
  std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)> req(
      PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr), X509_REQ_free);
  if (!req) return InvalidArgument(OpenSslError("the certificate request is not valid PEM"));
  EVP_PKEY* key = X509_REQ_get0_pubkey(req.get());
  if (key == nullptr || X509_REQ_verify(req.get(), key) != 1) {
    return InvalidArgument(OpenSslError("the certificate request's signature does not verify"));
  }
  if (EVP_PKEY_base_id(key) != EVP_PKEY_EC || EVP_PKEY_get_bits(key) != 256) {
    return InvalidArgument("the certificate request must carry an ECDSA P-256 key");
  }
  return SignLeaf(key, spec, clock);
}

Result<KeyAndCsr> NewKeyAndCsr(const std::string& common_name) {
  PkeyPtr key = CORAL_TRY(NewP256Key());
  std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)> req(X509_REQ_new(), X509_REQ_free);
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_REQ_set_pubkey(req.get(), key.get());
  if (X509_REQ_sign(req.get(), key.get(), EVP_sha256()) == 0) {
    return Internal(OpenSslError("sign certificate request"));
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) {
    return Internal(OpenSslError("encode certificate request"));
  }
  return KeyAndCsr{CORAL_TRY(KeyPem(key.get())), BioToString(bio.get())};
}

Result<CertInfo> InspectCertificate(const std::string& cert_pem) {
  X509Ptr cert = CORAL_TRY(ParseCert(cert_pem));
  CertInfo info;
  info.fingerprint = CORAL_TRY(FingerprintOf(cert.get()));
  info.subject = SubjectOf(cert.get());
  tm t{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &t) == 1) {
    info.not_after = std::chrono::system_clock::from_time_t(timegm(&t));
  }
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type == GEN_URI) {
      const ASN1_IA5STRING* s = n->d.uniformResourceIdentifier;
      info.uris.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                             static_cast<size_t>(ASN1_STRING_length(s)));
    }
  }
  GENERAL_NAMES_free(names);
  return info;
}

Result<bool> VerifyIssuedBy(const std::string& cert_pem, const std::string& ca_pem) {
  X509Ptr cert = CORAL_TRY(ParseCert(cert_pem));
  X509Ptr ca = CORAL_TRY(ParseCert(ca_pem));
  EVP_PKEY* ca_key = X509_get0_pubkey(ca.get());
  bool ok = ca_key != nullptr && X509_verify(cert.get(), ca_key) == 1;
  ERR_clear_error();
  return ok;
}

Result<std::string> CertificateFingerprint(const std::string& cert_pem) {
  X509Ptr cert = CORAL_TRY(ParseCert(cert_pem));
  return FingerprintOf(cert.get());
}

}  // namespace coral::crypto
