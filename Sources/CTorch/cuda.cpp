// CUDA-only entry points: the caching allocator's peak memory, device names and synchronization,
// for benchmarks and `umed doctor`. Built with CUDA's headers only in a CUDA build (CT_WITH_CUDA,
// set by Package.swift when libtorch has libtorch_cuda); elsewhere each says it needs one.
#include "internal.hpp"

#include <cstring>

#ifdef CT_WITH_CUDA
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#endif

namespace {
[[noreturn]] void needsCUDABuild() {
  throw std::runtime_error("this umed was built without CUDA (make cuda builds one against a CUDA libtorch)");
}
}  // namespace

extern "C" {

int ct_cuda_memory_peak(int32_t device, int64_t *allocated, int64_t *reserved) {
  CT_BEGIN
#ifdef CT_WITH_CUDA
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device));
  *allocated = stats.allocated_bytes[0].peak;  // index 0: all pools together (StatType::AGGREGATE)
  *reserved = stats.reserved_bytes[0].peak;
#else
  (void)device; (void)allocated; (void)reserved;
  needsCUDABuild();
#endif
  CT_END
}

int ct_cuda_reset_peak_memory(int32_t device) {
  CT_BEGIN
#ifdef CT_WITH_CUDA
  c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device));
#else
  (void)device;
  needsCUDABuild();
#endif
  CT_END
}

int ct_cuda_synchronize(int32_t device) {
  CT_BEGIN
#ifdef CT_WITH_CUDA
  c10::cuda::device_synchronize();
  (void)device;
#else
  (void)device;
  needsCUDABuild();
#endif
  CT_END
}

int ct_cuda_device_name(int32_t device, char **name) {
  CT_BEGIN
#ifdef CT_WITH_CUDA
  *name = strdup(at::cuda::getDeviceProperties(static_cast<c10::DeviceIndex>(device))->name);
#else
  (void)device; (void)name;
  needsCUDABuild();
#endif
  CT_END
}

}  // extern "C"
