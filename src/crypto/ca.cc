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

}  // namespace

Result<CertificateAuthority> CertificateAuthority::Create(const std::string& common_name,
                                                          int years, const Clock& clock) {
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> kctx(EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr));
  EVP_PKEY* raw_key = nullptr;
  if (!kctx || EVP_PKEY_keygen_init(kctx.get()) != 1 ||
      EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kctx.get(), NID_X9_62_prime256v1) != 1 ||
      EVP_PKEY_keygen(kctx.get(), &raw_key) != 1) {
    return Internal(OpenSslError("generate CA key"));
  }
  PkeyPtr key(raw_key);

  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  auto serial = RandomBytes(16);
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  time_t now = std::chrono::system_clock::to_time_t(clock.Now());
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), now - 300);  // tolerate small clock skew
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), now + static_cast<time_t>(years) * 365 * 86400);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Coral"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  CORAL_TRY(AddExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  CORAL_TRY(AddExtension(cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  CORAL_TRY(AddExtension(cert.get(), NID_subject_key_identifier, "hash"));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return Internal(OpenSslError("sign CA certificate"));
  }

  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1) {
    return Internal(OpenSslError("encode CA"));
  }
  CertificateAuthority ca;
  ca.files_ = {BioToString(cert_bio.get()), BioToString(key_bio.get())};
  ca.fingerprint_ = CORAL_TRY(FingerprintOf(cert.get()));
  ca.subject_ = SubjectOf(cert.get());
  return ca;
}

Result<CertificateAuthority> CertificateAuthority::Load(const CaFiles& files) {
  X509Ptr cert = CORAL_TRY(ParseCert(files.cert_pem));
  BioPtr key_bio(BIO_new_mem_buf(files.key_pem.data(), static_cast<int>(files.key_pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) return InvalidArgument(OpenSslError("CA key is not valid PEM"));
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

Result<std::string> CertificateFingerprint(const std::string& cert_pem) {
  X509Ptr cert = CORAL_TRY(ParseCert(cert_pem));
  return FingerprintOf(cert.get());
}

}  // namespace coral::crypto
