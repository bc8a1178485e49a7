// Process groups (c10d) for multi-process training: Gloo on CPU, NCCL on CUDA, joined through a
// TCPStore that rank 0 hosts — what torch.distributed does under torchrun, with no Python.
//
// All of c10d stays in this file; the C header speaks handles and tensors only. The c10d headers
// are guarded by USE_DISTRIBUTED / USE_C10D_GLOO / USE_C10D_NCCL, which a libtorch build defines
// for itself but not for its users: we define them here, before any include. Gloo's own headers
// come from Debian's libgloo-dev (neither libtorch-dev nor the pip wheels ship them); a build
// without them still compiles and says so when a group is asked for.
#if __has_include(<gloo/config.h>)
#define USE_DISTRIBUTED 1
#define USE_C10D_GLOO 1
#define CT_HAS_GLOO 1
#endif
#if defined(CT_WITH_CUDA) && __has_include(<nccl.h>)
#ifndef USE_DISTRIBUTED
#define USE_DISTRIBUTED 1
#endif
#define USE_C10D_NCCL 1
#define CT_HAS_NCCL 1
#endif

#include "internal.hpp"

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#if defined(CT_HAS_GLOO) || defined(CT_HAS_NCCL)
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef CT_HAS_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef CT_HAS_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

struct ct_process_group_s {
#if defined(CT_HAS_GLOO) || defined(CT_HAS_NCCL)
  c10::intrusive_ptr<c10d::Store> store;
#endif
#ifdef CT_HAS_GLOO
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#endif
#ifdef CT_HAS_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif
  int rank = 0;
  int size = 1;
};

namespace {

const char *missingBackend(int32_t backend) {
  if (backend == CT_GLOO) {
#ifdef CT_HAS_GLOO
    return nullptr;
#else
    return "this umed was built without Gloo's headers (Debian: apt-get install libgloo-dev, which `make deps` "
           "does), so it cannot join a CPU process group";
#endif
  }
  if (backend == CT_NCCL) {
#ifdef CT_HAS_NCCL
    return nullptr;
#else
    return "NCCL needs a CUDA build of umed (`make cuda`: a CUDA libtorch and NCCL's headers)";
#endif
  }
  return "unknown process-group backend";
}

#if defined(CT_HAS_GLOO) || defined(CT_HAS_NCCL)

// Runs body on the group's backend (templates: the Gloo and NCCL classes share their collectives'
// signatures, while their base class differs between libtorch 1.13 and 2.x).
template <class Body>
void withGroup(ct_process_group group, Body body) {
  if (group == nullptr) throw std::invalid_argument("null process group");
#ifdef CT_HAS_GLOO
  if (group->gloo) return body(*group->gloo);
#endif
#ifdef CT_HAS_NCCL
  if (group->nccl) return body(*group->nccl);
#endif
  throw std::logic_error("process group has no backend");
}

std::vector<at::Tensor> tensorsOf(const ct_tensor *handles, size_t count) {
  std::vector<at::Tensor> tensors;
  tensors.reserve(count);
  for (size_t index = 0; index < count; ++index) tensors.push_back(ctorch::T(handles[index]));
  return tensors;
}

// Tensors of one dtype and device, in order, cut into flat buckets of at most `bytes` (0: one).
struct Bucket {
  std::vector<at::Tensor> members;
  at::Tensor flat;
};

std::vector<Bucket> bucketsOf(const std::vector<at::Tensor> &tensors, int64_t bytes) {
  std::vector<Bucket> buckets;
  std::map<std::pair<int, std::string>, size_t> open;  // (dtype, device) -> index of its open bucket
  std::map<size_t, int64_t> filled;
  for (const at::Tensor &tensor : tensors) {
    auto key = std::make_pair(static_cast<int>(tensor.scalar_type()), tensor.device().str());
    int64_t size = tensor.numel() * static_cast<int64_t>(tensor.element_size());
    auto found = open.find(key);
    if (found == open.end() || (bytes > 0 && filled[found->second] + size > bytes && filled[found->second] > 0)) {
      buckets.push_back(Bucket{});
      open[key] = buckets.size() - 1;
      found = open.find(key);
    }
    buckets[found->second].members.push_back(tensor);
    filled[found->second] += size;
  }
  for (Bucket &bucket : buckets) {
    if (bucket.members.size() == 1 && bucket.members[0].is_contiguous()) {
      bucket.flat = bucket.members[0];  // in place, no copy
      continue;
    }
    std::vector<at::Tensor> pieces;
    for (const at::Tensor &member : bucket.members) pieces.push_back(member.reshape({-1}));
    bucket.flat = at::cat(pieces);
  }
  return buckets;
}

void scatterBack(Bucket &bucket) {
  if (bucket.members.size() == 1 && bucket.flat.is_same(bucket.members[0])) return;
  int64_t offset = 0;
  for (at::Tensor &member : bucket.members) {
    int64_t count = member.numel();
    member.copy_(bucket.flat.narrow(0, offset, count).view(member.sizes()));
    offset += count;
  }
}

// Launches one collective per bucket (all in flight), waits for each, then copies results back.
template <class Launch>
void bucketed(const std::vector<at::Tensor> &tensors, int64_t bytes, Launch launch) {
  at::NoGradGuard noGrad;
  std::vector<Bucket> buckets = bucketsOf(tensors, bytes);
  std::vector<decltype(launch(buckets[0].flat))> works;
  for (Bucket &bucket : buckets) works.push_back(launch(bucket.flat));
  for (auto &work : works) work->wait();
  for (Bucket &bucket : buckets) scatterBack(bucket);
}

c10d::ReduceOp reduceOp(int32_t op) {
  switch (op) {
    case CT_COLLECTIVE_SUM:
    case CT_COLLECTIVE_AVG: return c10d::ReduceOp::SUM;  // Gloo has no AVG: summed, then divided
    case CT_COLLECTIVE_MAX: return c10d::ReduceOp::MAX;
    case CT_COLLECTIVE_MIN: return c10d::ReduceOp::MIN;
    default: throw std::invalid_argument("unknown reduce op " + std::to_string(op));
  }
}

bool isLoopback(const std::string &address) {
  return address == "localhost" || address.rfind("127.", 0) == 0 || address == "::1";
}

#endif

}  // namespace

extern "C" {

int ct_distributed_available(int32_t backend, int *available, const char **why) {
  CT_BEGIN
  const char *missing = missingBackend(backend);
  *available = missing == nullptr;
  if (why != nullptr) *why = missing;
  CT_END
}

int ct_process_group_create(const char *master_addr, int32_t master_port, int32_t rank, int32_t world_size,
                            int32_t backend, int64_t timeout_ms, ct_process_group *out) {
  CT_BEGIN
  if (const char *missing = missingBackend(backend)) throw std::runtime_error(missing);
  if (world_size < 1 || rank < 0 || rank >= world_size) {
    throw std::invalid_argument("rank " + std::to_string(rank) + " is outside a world of " + std::to_string(world_size));
  }
  if (master_port <= 0 || master_port > 65535) throw std::invalid_argument("master port " + std::to_string(master_port));
#if defined(CT_HAS_GLOO) || defined(CT_HAS_NCCL)
  auto timeout = std::chrono::milliseconds(timeout_ms);
  std::string address(master_addr);
  c10d::TCPStoreOptions storeOptions;
  storeOptions.port = static_cast<std::uint16_t>(master_port);
  storeOptions.isServer = rank == 0;
  storeOptions.numWorkers = static_cast<std::size_t>(world_size);
  storeOptions.waitWorkers = true;
  storeOptions.timeout = timeout;
  auto group = std::make_unique<ct_process_group_s>();
  group->rank = rank;
  group->size = world_size;
  group->store = c10::make_intrusive<c10d::TCPStore>(address, storeOptions);
  if (backend == CT_GLOO) {
#ifdef CT_HAS_GLOO
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    // The address this rank listens on: loopback for a one-machine run on loopback, the interface
    // GLOO_SOCKET_IFNAME names (as torch.distributed), else the machine's hostname.
    const char *interface = std::getenv("GLOO_SOCKET_IFNAME");
    if (interface != nullptr && *interface != 0) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(interface));
    } else if (isLoopback(address)) {
      options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    } else {
      options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    }
    group->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(group->store, rank, world_size, options);
#endif
  } else {
#ifdef CT_HAS_NCCL
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    group->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(group->store, rank, world_size, options);
#endif
  }
  *out = group.release();
#else
  (void)master_addr; (void)timeout_ms; (void)out;
#endif
  CT_END
}

void ct_process_group_free(ct_process_group group) { delete group; }

int ct_process_group_all_reduce(ct_process_group group, const ct_tensor *tensors, size_t count, int32_t op,
                                int64_t bucket_bytes) {
  CT_BEGIN
#if defined(CT_HAS_GLOO) || defined(CT_HAS_NCCL)
  std::vector<at::Tensor> list = tensorsOf(tensors, count);
  if (list.empty()) return 0;
  c10d::AllreduceOptions options;
  options.reduceOp = reduceOp(op);
  withGroup(group, [&](auto &backend) {
    bucketed(list, bucket_bytes, [&](at::Tensor &flat) {
      std::vector<at::Tensor> one{flat};
      return backend.allreduce(one, options);
    });
  });
  if (op == CT_COLLECTIVE_AVG) {
    at::NoGradGuard noGrad;
    for (at::Tensor &tensor : list) tensor.div_(group->size);
  }
#else
  (void)group; (void)tensors; (void)count; (void)op; (void)bucket_bytes;
  throw std::runtime_error(missingBackend(CT_GLOO));
#endif
  CT_END
}

int ct_process_group_broadcast(ct_process_group group, const ct_tensor *tensors, size_t count, int32_t root) {
  CT_BEGIN
#if defined(CT_HAS_GLOO) || defined(CT_HAS_NCCL)
  std::vector<at::Tensor> list = tensorsOf(tensors, count);
  if (list.empty()) return 0;
  if (root < 0 || root >= group->size) throw std::invalid_argument("broadcast root " + std::to_string(root));
  c10d::BroadcastOptions options;
  options.rootRank = root;
  withGroup(group, [&](auto &backend) {
    bucketed(list, 64 << 20, [&](at::Tensor &flat) {
      std::vector<at::Tensor> one{flat};
      return backend.broadcast(one, options);
    });
  });
#else
  (void)group; (void)tensors; (void)count; (void)root;
  throw std::runtime_error(missingBackend(CT_GLOO));
#endif
  CT_END
}

int ct_process_group_all_gather(ct_process_group group, ct_tensor input, ct_tensor *out) {
  CT_BEGIN
#if defined(CT_HAS_GLOO) || defined(CT_HAS_NCCL)
  at::NoGradGuard noGrad;
  at::Tensor local = ctorch::T(input).contiguous();
  std::vector<at::Tensor> gathered;
  for (int index = 0; index < group->size; ++index) gathered.push_back(at::empty_like(local));
  std::vector<std::vector<at::Tensor>> outputs{gathered};
  std::vector<at::Tensor> inputs{local};
  withGroup(group, [&](auto &backend) { backend.allgather(outputs, inputs)->wait(); });
  *out = ctorch::wrap(at::stack(outputs[0]));
#else
  (void)group; (void)input; (void)out;
  throw std::runtime_error(missingBackend(CT_GLOO));
#endif
  CT_END
}

int ct_process_group_barrier(ct_process_group group) {
  CT_BEGIN
#if defined(CT_HAS_GLOO) || defined(CT_HAS_NCCL)
  withGroup(group, [&](auto &backend) { backend.barrier()->wait(); });
#else
  (void)group;
  throw std::runtime_error(missingBackend(CT_GLOO));
#endif
  CT_END
}

}  // extern "C"
