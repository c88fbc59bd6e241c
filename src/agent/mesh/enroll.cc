#include "agent/mesh/enroll.h"

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/log.h"
#include "coral/v1/mesh.pb.h"
#include "crypto/ca.h"
#include "crypto/keys.h"
#include "mesh/endpoint.h"
#include "net/http_client.h"

namespace coral::agent {

namespace {

// The error a colony sent ({"error": "..."}), or the raw start of the body.
std::string ColonyError(const net::HttpClientResponse& r) {
  try {
    auto j = nlohmann::json::parse(r.body);
    if (j.contains("error") && j["error"].is_string()) return j["error"].get<std::string>();
  } catch (const nlohmann::json::exception&) {
  }
  return "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 200);
}

std::string HostOf(const std::string& host_port) {
  auto hp = mesh::SplitHostPort(host_port);
  return hp.ok() ? hp->host : host_port;
}

// Fetches the CA at `endpoint` and checks it is the token's.
Result<std::string> PinnedCa(const EnrollOptions& o, const std::string& endpoint) {
  auto resp = CORAL_TRY(net::HttpFetch({.url = "https://" + endpoint + "/v1/ca",
                                        .timeout = o.timeout,
                                        .connect_timeout = o.timeout,
                                        .unverified_for_pinning = true}));
  if (resp.status != 200) {
    return Unavailable("enroll: " + endpoint + " did not hand out a CA (" + ColonyError(resp) +
                       "); is it a Coral colony's public endpoint?");
  }
  auto fingerprint = crypto::CertificateFingerprint(resp.body);
  if (!fingerprint.ok()) {
    return Unavailable("enroll: " + endpoint + " sent something that is not a certificate");
  }
  if (*fingerprint != o.token.ca_fingerprint) {
    return PermissionDenied("enroll: colony at " + endpoint + " presented a CA with fingerprint " +
                            *fingerprint + ", expected " + o.token.ca_fingerprint +
                            " from the join token; check the token (or someone is in between)");
  }
  return resp.body;
}

}  // namespace

Result<MeshIdentity> Enroll(const EnrollOptions& o) {
  if (o.token.endpoints.empty()) return InvalidArgument("enroll: the join token names no endpoint");
  crypto::PrivateKey wg_key = crypto::PrivateKey::Generate();
  auto tls = CORAL_TRY(crypto::NewKeyAndCsr("agent " + o.agent_id));

  coral::v1::EnrollRequest req;
  req.set_token_secret(o.token.secret);
  req.set_agent_id(o.agent_id);
  req.set_hostname(o.hostname);
  req.set_wireguard_public_key(crypto::KeyToBase64(crypto::DerivePublicKey(wg_key).bytes));
  req.set_csr_pem(tls.csr_pem);
  req.set_version(o.version);
  std::string body;
  (void)google::protobuf::util::MessageToJsonString(req, &body);
  crypto::Wipe(*req.mutable_token_secret());

  std::string errors;
  for (const auto& endpoint : o.token.endpoints) {
    auto ca = PinnedCa(o, endpoint);
    if (!ca.ok()) {
      if (ca.status().code() == StatusCode::kPermissionDenied) {
        crypto::Wipe(body);
        return ca.status();
      }
      errors += "\n  " + endpoint + ": " + ca.status().message();
      continue;
    }
    auto resp = net::HttpFetch({.method = "POST",
                                .url = "https://" + endpoint + "/v1/enroll",
                                .headers = {{"Content-Type", "application/json"}},
                                .body = body,
                                .timeout = o.timeout,
                                .connect_timeout = o.timeout,
                                .ca_pem = *ca});
    if (!resp.ok()) {
      errors += "\n  " + endpoint + ": " + resp.status().message();
      continue;
    }
    crypto::Wipe(body);
    if (resp->status != 200) {
      std::string why = ColonyError(*resp);
      Status s = resp->status == 401 || resp->status == 403 ? PermissionDenied(why)
                 : resp->status == 400                      ? InvalidArgument(why)
                                                            : Unavailable(why);
      return s.WithContext("enroll: colony " + o.token.colony_id + " refused");
    }
    coral::v1::EnrollResponse er;
    if (!google::protobuf::util::JsonStringToMessage(resp->body, &er).ok()) {
      return Unavailable("enroll: the colony's answer is not an EnrollResponse");
    }
    // What we got must be what we asked for, from the CA we pinned.
    auto issued = crypto::VerifyIssuedBy(er.certificate_pem(), *ca);
    if (!issued.ok() || !*issued) {
      return PermissionDenied("enroll: the certificate the colony returned is not from its CA");
    }
    if (er.colony_id() != o.token.colony_id || er.colony_wireguard_endpoints().empty()) {
      return Unavailable("enroll: the colony answered for '" + er.colony_id() +
                         "' or without a WireGuard endpoint");
    }
    MeshIdentity m;
    m.colony_id = er.colony_id();
    m.agent_id = o.agent_id;
    m.mesh_ip = er.mesh_ip();
    m.mesh_cidr = er.mesh_cidr();
    m.colony_mesh_ip = er.colony_mesh_ip();
    if (er.colony_grpc_port() > 0) m.colony_grpc_port = er.colony_grpc_port();
    m.colony_public_key = er.colony_wireguard_public_key();
    m.colony_endpoint = er.colony_wireguard_endpoints(0);
    // Prefer the endpoint on the host we just reached.
    for (const auto& ep : er.colony_wireguard_endpoints()) {
      if (HostOf(ep) == HostOf(endpoint)) {
        m.colony_endpoint = ep;
        break;
      }
    }
    m.colony_public_endpoints = o.token.endpoints;
    m.enrolled_at = FormatRfc3339(SystemClock::Get().Now());
    m.wireguard_private_key = crypto::KeyToBase64(wg_key.bytes());
    m.tls_key_pem = tls.key_pem;
    m.tls_cert_pem = er.certificate_pem();
    m.ca_pem = *ca;
    crypto::Wipe(tls.key_pem);
    return m;
  }
  crypto::Wipe(body);
  return Unavailable("enroll: could not reach colony " + o.token.colony_id +
                     " at any endpoint:" + errors);
}

}  // namespace coral::agent
