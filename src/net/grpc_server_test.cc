#include "net/grpc_server.h"

#include <gtest/gtest.h>

#include "../../tests/eventually.h"
#include "../../tests/grpc_bomb.h"
#include "../../tests/sockets.h"
#include "base/descriptors.h"
#include "base/temp_dir.h"
#include "coral/v1/colony.grpc.pb.h"
#include "crypto/ca.h"

namespace coral::net {
namespace {

// A test implementation of the colony contract, to prove the generated code,
// the server helper and TLS work together over loopback.
class FakeColony final : public coral::v1::ColonyService::Service {
  grpc::Status GetStatus(grpc::ServerContext*, const coral::v1::GetStatusRequest*,
                         coral::v1::GetStatusResponse* out) override {
    out->set_colony_id("shop-dev-abc123");
    out->mutable_build()->set_version("test");
    return grpc::Status::OK;
  }
};

Result<coral::v1::GetStatusResponse> CallStatus(const std::string& target,
                                                std::shared_ptr<grpc::ChannelCredentials> creds,
                                                const std::string& authority = "") {
  grpc::ChannelArguments args;
  if (!authority.empty()) args.SetSslTargetNameOverride(authority);
  auto channel = grpc::CreateCustomChannel(target, creds, args);
  auto stub = coral::v1::ColonyService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  coral::v1::GetStatusResponse resp;
  CORAL_TRY(FromGrpc(stub->GetStatus(&ctx, {}, &resp), "GetStatus"));
  return resp;
}

TEST(GrpcServerTest, InsecureLoopbackRoundTrip) {
  FakeColony service;
  auto server = GrpcServer::Start({.addresses = {"127.0.0.1:0"}, .services = {&service}});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  int port = (*server)->ports()[0];
  ASSERT_GT(port, 0);
  auto resp = CallStatus("127.0.0.1:" + std::to_string(port), ChannelCredentials(""));
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->colony_id(), "shop-dev-abc123");
  EXPECT_EQ(resp->build().version(), "test");
}

TEST(GrpcServerTest, MutualTlsAcceptsOnlyCertificatesFromTheCa) {
  auto ca = crypto::CertificateAuthority::Create("grpc test CA", 1);
  ASSERT_TRUE(ca.ok());
  auto server_cert = ca->Issue({.common_name = "colony",
                                .dns_names = {"colony.coral"},
                                .usage = crypto::CertUsage::kServer});
  auto client_cert = ca->Issue({.common_name = "agent", .usage = crypto::CertUsage::kClient});
  ASSERT_TRUE(server_cert.ok() && client_cert.ok());
  FakeColony service;
  auto server = GrpcServer::Start(
      {.addresses = {"127.0.0.1:0"},
       .tls = GrpcTls{server_cert->cert_pem, server_cert->key_pem, ca->files().cert_pem},
       .services = {&service}});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  std::string target = "127.0.0.1:" + std::to_string((*server)->ports()[0]);

  auto good = CallStatus(
      target, ChannelCredentials(ca->files().cert_pem, client_cert->cert_pem, client_cert->key_pem),
      "colony.coral");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(good->colony_id(), "shop-dev-abc123");

  auto no_cert = CallStatus(target, ChannelCredentials(ca->files().cert_pem), "colony.coral");
  EXPECT_FALSE(no_cert.ok());
  auto other = crypto::CertificateAuthority::Create("other", 1);
  auto stranger = other->Issue({.common_name = "x", .usage = crypto::CertUsage::kClient});
  auto wrong_ca = CallStatus(
      target, ChannelCredentials(ca->files().cert_pem, stranger->cert_pem, stranger->key_pem),
      "colony.coral");
  EXPECT_FALSE(wrong_ca.ok());
}

TEST(GrpcServerTest, PortInUseIsAClearError) {
  FakeColony service;
  auto first = GrpcServer::Start({.addresses = {"127.0.0.1:0"}, .services = {&service}});
  ASSERT_TRUE(first.ok());
  FakeColony service2;
  auto second =
      GrpcServer::Start({.addresses = {"127.0.0.1:" + std::to_string((*first)->ports()[0])},
                         .services = {&service2}});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
}

TEST(GrpcServerTest, UnreachableServerIsUnavailable) {
  auto resp = CallStatus("127.0.0.1:1", ChannelCredentials(""));
  ASSERT_FALSE(resp.ok());
  EXPECT_TRUE(resp.status().code() == StatusCode::kUnavailable ||
              resp.status().code() == StatusCode::kDeadlineExceeded)
      << resp.status().ToString();
}

// gRPC 1.51 stops accepting for good once accept4 fails with EMFILE; the
// watch finds the listener silent and builds the server again on its port.
TEST(GrpcServerTest, ListenerIsBuiltAgainAfterRunningOutOfDescriptors) {
  FakeColony service;
  auto server = GrpcServer::Start({.addresses = {"127.0.0.1:0"},
                                   .services = {&service},
                                   .probe_interval = std::chrono::milliseconds(200)});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  std::string address = "127.0.0.1:" + std::to_string((*server)->ports()[0]);
  ASSERT_TRUE(CallStatus(address, ChannelCredentials("")).ok());
  {
    testkit::Sockets flood;
    testkit::LowerDescriptorLimit limit(OpenDescriptorCount() + 40);
    for (int i = 0; i < 100; ++i) {
      int fd = testkit::ConnectFrom("127.0.0.1", (*server)->ports()[0]);
      if (fd < 0) break;
      flood.fds.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  EXPECT_TRUE(Eventually([&] { return CallStatus(address, ChannelCredentials("")).ok(); },
                         std::chrono::seconds(30)));
  EXPECT_GE((*server)->restarts(), 1);
}

// A request compressed a thousand to one (here 1 GB of zeros in 1 MB) is
// refused before anything inflates it: gRPC 1.51 would inflate it whole
// before its size limit applies, before any handler or authentication.
TEST(GrpcServerTest, CompressedRequestsAreRefusedBeforeTheyAreInflated) {
  FakeColony service;
  auto server = GrpcServer::Start({.addresses = {"127.0.0.1:0"}, .services = {&service}});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  TempDir dir("coral-grpc-bomb");
  testkit::WriteGrpcGzipBomb(dir.path() / "bomb", size_t{1} << 30);
  ASSERT_LT(std::filesystem::file_size(dir.path() / "bomb"), size_t{4} << 20);
  testkit::ResetPeakRss();
  long before = testkit::PeakRssMb();
  std::string answer =
      testkit::PostGrpcFrame("127.0.0.1:" + std::to_string((*server)->ports()[0]),
                             "/coral.v1.ColonyService/GetStatus", dir.path() / "bomb");
  long grew = testkit::PeakRssMb() - before;
  EXPECT_TRUE(testkit::RefusedUnread(answer)) << answer;
  EXPECT_LT(grew, 200) << "MB; the server inflated the request";
  // Plain requests still work.
  auto resp =
      CallStatus("127.0.0.1:" + std::to_string((*server)->ports()[0]), ChannelCredentials(""));
  EXPECT_TRUE(resp.ok()) << resp.status().ToString();
}

}  // namespace
}  // namespace coral::net
